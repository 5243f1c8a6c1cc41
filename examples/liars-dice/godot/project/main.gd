# liars-dice: a generic player until the game has a scene of its own. It shows what your seat
# sees as text, offers your legal actions as buttons and accepts a typed JSON action, offline
# against bots or online on a Hearth server. The rules are the same Rust code the server runs.
extends Control

const GAME := "liars-dice"
const SEATS := 2

var session: HearthSession
var client: HearthClient

var mode := "menu"  # "offline" or "online"
var my_seat := 0
var status: Label
var view_text: Label
var actions: HBoxContainer
var typed: LineEdit
var server_url: LineEdit


func _ready() -> void:
	var column := VBoxContainer.new()
	column.position = Vector2(20, 20)
	column.custom_minimum_size = Vector2(860, 600)
	add_child(column)
	status = Label.new()
	status.text = "Play %s offline against a bot, or on a server." % GAME
	column.add_child(status)
	var menu := HBoxContainer.new()
	column.add_child(menu)
	_button(menu, "Play offline", _on_offline)
	server_url = LineEdit.new()
	server_url.text = "http://127.0.0.1:7777"
	server_url.custom_minimum_size = Vector2(260, 0)
	menu.add_child(server_url)
	_button(menu, "Play online", _on_online)
	view_text = Label.new()
	view_text.autowrap_mode = TextServer.AUTOWRAP_WORD
	view_text.custom_minimum_size = Vector2(860, 300)
	column.add_child(view_text)
	actions = HBoxContainer.new()
	column.add_child(actions)
	typed = LineEdit.new()
	typed.placeholder_text = "or type an action as JSON and press Enter"
	typed.text_submitted.connect(_on_typed)
	column.add_child(typed)

	client = HearthClient.new()
	add_child(client)
	client.connected.connect(_on_connected)
	client.room_changed.connect(_on_room_changed)
	client.game_started.connect(_on_game_started)
	client.view_changed.connect(_on_view_changed)
	client.legal_actions.connect(_show_actions)
	client.error.connect(_on_error)


func _button(parent: Node, text: String, pressed: Callable) -> void:
	var b := Button.new()
	b.text = text
	b.pressed.connect(pressed)
	parent.add_child(b)


# ---- offline: this device runs the rules; the other seats are bots


func _on_offline() -> void:
	mode = "offline"
	session = HearthSession.new()
	var result: Dictionary = session.create(GAME, {}, SEATS, randi())
	if not result.ok:
		status.text = result.error.message
		return
	my_seat = 0
	_offline_bots()


func _offline_play(action: Variant) -> void:
	var result: Dictionary = session.apply(my_seat, action)
	if not result.ok:
		status.text = "%s (%s)" % [result.error.message, result.error.code]
		return
	_offline_bots()


func _offline_bots() -> void:
	# The bots move until it is the human's turn or the game ends.
	while not session.is_over() and session.legal_actions(my_seat).is_empty():
		var moved := false
		for seat in range(SEATS):
			if seat == my_seat:
				continue
			var bot = session.bot_action(seat)
			if bot != null:
				session.apply(seat, bot)
				moved = true
				break
		if not moved:
			break
	_show_view(session.view(my_seat))
	if session.is_over():
		status.text = _result_text(session.outcome())
		_show_actions([])
	else:
		status.text = "Your move."
		_show_actions(session.legal_actions(my_seat))


# ---- online: an official Hearth server (`cargo run -p liars-dice-server -- serve`)


func _on_online() -> void:
	mode = "online"
	client.connect_to_server(server_url.text, _device_id())


func _device_id() -> String:
	# One id per installation, so the server keeps your account and rating.
	var path := "user://hearth_device_id"
	if FileAccess.file_exists(path):
		return FileAccess.get_file_as_string(path)
	var id := "godot-%d-%d" % [Time.get_unix_time_from_system(), randi()]
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_string(id)
	return id


func _on_connected(welcome: Dictionary) -> void:
	status.text = "Connected as %s." % welcome.name
	client.join_room("%s with a bot %d" % [GAME, randi() % 10000], GAME, {}, "")


func _on_room_changed(state: Dictionary) -> void:
	var phase = state.phase
	if typeof(phase) == TYPE_STRING and phase == "lobby" and state.host == state.you:
		if state.members.size() < SEATS:
			client.add_bot(1)
		else:
			client.set_ready(true)
			client.start_game()
	elif typeof(phase) == TYPE_DICTIONARY and phase.has("over"):
		status.text = _result_text(phase.over.outcome)
		_show_actions([])


func _on_game_started(info: Dictionary) -> void:
	my_seat = info.seat if info.seat != null else -1
	status.text = "Game on: you are seat %d." % my_seat


func _on_view_changed(view: Variant, _events: Variant, _tick: int) -> void:
	_show_view(view)
	client.request_legal_actions()


func _on_error(code: String, message: String) -> void:
	status.text = "%s (%s)" % [message, code]


# ---- the generic player's widgets


func _show_view(view: Variant) -> void:
	view_text.text = JSON.stringify(view, "  ")


func _show_actions(legal: Variant) -> void:
	for child in actions.get_children():
		child.queue_free()
	for action in legal:
		_button(actions, JSON.stringify(action), _play.bind(action))


func _play(action: Variant) -> void:
	if mode == "offline":
		_offline_play(action)
	elif mode == "online":
		client.send_action(action)


func _on_typed(text: String) -> void:
	var action = JSON.parse_string(text)
	if action == null and text.strip_edges() != "null":
		status.text = "That is not JSON."
		return
	typed.clear()
	_play(action)


func _result_text(outcome: Variant) -> String:
	if outcome == null or outcome.winners.is_empty():
		return "A draw."
	return "You won!" if int(outcome.winners[0]) == my_seat else "Seat %d won." % int(outcome.winners[0])
