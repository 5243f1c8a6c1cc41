# Plays one match against a bot on a Hearth server through HearthClient, choosing among the
# legal actions the host offers:
#   godot --headless --path godot/project --script res://tests/online.gd -- http://127.0.0.1:PORT GAME
# Prints `godot online: over` and exits 0 when the match ended; 1 on an error or after 60 s.
extends SceneTree

var client: HearthClient
var game := ""


func _init() -> void:
	var args := OS.get_cmdline_user_args()
	if args.size() < 2:
		printerr("usage: --script res://tests/online.gd -- SERVER_URL GAME")
		quit(2)
		return
	game = args[1]
	client = HearthClient.new()
	root.add_child(client)
	client.connected.connect(_on_connected)
	client.room_changed.connect(_on_room_changed)
	client.view_changed.connect(_on_view_changed)
	client.legal_actions.connect(_on_legal_actions)
	client.error.connect(_on_error)
	client.connect_to_server(args[0], "godot-online-test")
	create_timer(60.0).timeout.connect(func(): printerr("timed out"); quit(1))


func _on_connected(_welcome: Dictionary) -> void:
	client.join_room("godot online test", game, {}, "")


func _on_room_changed(state: Dictionary) -> void:
	var phase = state.phase
	if typeof(phase) == TYPE_STRING and phase == "lobby" and state.host == state.you:
		if state.members.size() < 2:
			client.add_bot(1)
		else:
			client.set_ready(true)
			client.start_game()
	elif typeof(phase) == TYPE_DICTIONARY and phase.has("over"):
		print("godot online: over ", JSON.stringify(phase.over.outcome))
		quit(0)


func _on_view_changed(_view: Variant, _events: Variant, _tick: int) -> void:
	client.request_legal_actions()


func _on_legal_actions(actions: Variant) -> void:
	if not actions.is_empty():
		client.send_action(actions[randi() % actions.size()])


func _on_error(code: String, message: String) -> void:
	# A stale choice (the turn moved on) is refused harmlessly; anything else ends the test.
	if code != "not_your_turn" and code != "illegal_action":
		printerr("%s: %s" % [code, message])
		quit(1)
