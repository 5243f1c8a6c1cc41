//! Hearth's own GDExtension: the classes of `hearth-godot` over the three example games,
//! exactly as a developer's extension is over theirs. `godot-ext/demo` loads it.

hearth_godot::extension!(HearthDemoExtension, hearth_games::games);
