# Replays golden vectors through HearthSession, as Godot runs the extension:
#   godot --headless --path godot/project --script res://tests/vectors.gd -- VECTOR_DIR
# Prints `godot: N vectors, M steps, F failures`; exits 0 only when every hash, refusal and
# outcome matched.
extends SceneTree


func _init() -> void:
	var args := OS.get_cmdline_user_args()
	var dir_path: String = args[0] if args.size() > 0 else ""
	var dir := DirAccess.open(dir_path)
	if dir == null:
		printerr("usage: --script res://tests/vectors.gd -- VECTOR_DIR")
		quit(2)
		return
	var files := Array(dir.get_files()).filter(func(f): return f.ends_with(".json"))
	files.sort()
	var failures := 0
	var steps := 0
	for file in files:
		var v: Dictionary = JSON.parse_string(FileAccess.get_file_as_string(dir_path.path_join(file)))
		var session: HearthSession = HearthSession.new()
		var config: Dictionary = v.config if typeof(v.config) == TYPE_DICTIONARY else {}
		var created: Dictionary = session.create(v.game, config, int(v.seats), int(v.seed))
		if not created.ok or session.state_hash() != v.initial_hash:
			printerr("FAIL %s: setup" % v.name)
			failures += 1
			continue
		for step in v.steps:
			if step.op == "tick":
				session.tick()
			else:
				var result: Dictionary = session.apply(int(step.seat), step.action)
				var code = null if result.ok else result.error.code
				if code != step.error:
					printerr("FAIL %s step %d: %s instead of %s" % [v.name, steps, code, step.error])
					failures += 1
			if session.state_hash() != step.hash:
				printerr("FAIL %s step %d: hash %s, want %s" % [v.name, steps, session.state_hash(), step.hash])
				failures += 1
			steps += 1
		if JSON.stringify(session.outcome()) != JSON.stringify(v.outcome):
			printerr("FAIL %s: outcome" % v.name)
			failures += 1
	print("godot: %d vectors, %d steps, %d failures" % [files.size(), steps, failures])
	quit(0 if failures == 0 and files.size() > 0 else 1)
