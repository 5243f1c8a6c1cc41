# Hearth demo: connect four offline against the bot, hosted on the LAN from inside the game,
# joined from the LAN browser list, or played on a Hearth server. The rules are the same
# Rust code the server runs; this script only draws and forwards clicks.
extends Control

const COLUMNS := 7
const ROWS := 6
const CELL := 64
const BOARD_ORIGIN := Vector2(40, 140)
const ROOM := "Godot demo"

var session: HearthSession
var client: HearthClient
var lan_host: HearthLanHost
var browser: HearthLanBrowser

var mode := "menu"  # "offline" or "online"
var my_seat := -1
var view := {}
var status: Label
var hosts: ItemList
var server_url: LineEdit
var found := []


func _ready() -> void:
	var menu := VBoxContainer.new()
	menu.position = Vector2(520, 20)
	add_child(menu)
	status = Label.new()
	status.position = Vector2(40, 20)
	status.text = "Pick a way to play."
	add_child(status)

	_button(menu, "Play offline against the bot", _on_offline)
	_button(menu, "Host a LAN game", _on_host)
	menu.add_child(Label.new())
	var lan_label := Label.new()
	lan_label.text = "LAN games:"
	menu.add_child(lan_label)
	hosts = ItemList.new()
	hosts.custom_minimum_size = Vector2(340, 120)
	hosts.item_activated.connect(_on_host_chosen)
	menu.add_child(hosts)
	server_url = LineEdit.new()
	server_url.text = "http://127.0.0.1:7777"
	menu.add_child(server_url)
	_button(menu, "Connect to the server", _on_server)

	client = HearthClient.new()
	add_child(client)
	client.connected.connect(_on_connected)
	client.room_changed.connect(_on_room_changed)
	client.game_started.connect(_on_game_started)
	client.view_changed.connect(_on_view_changed)
	client.error.connect(_on_error)
	client.disconnected.connect(_on_disconnected)

	lan_host = HearthLanHost.new()
	add_child(lan_host)
	browser = HearthLanBrowser.new()
	add_child(browser)
	browser.host_found.connect(_on_host_found)
	browser.host_lost.connect(_on_host_lost)


func _button(parent: Control, text: String, handler: Callable) -> void:
	var b := Button.new()
	b.text = text
	b.pressed.connect(handler)
	parent.add_child(b)


# ---- offline


func _on_offline() -> void:
	mode = "offline"
	session = HearthSession.new()
	session.set_bot_level(3)
	var created: Dictionary = session.create("connect-four", {"first_seat": 0}, 2, randi())
	if not created.ok:
		status.text = created.error.message
		return
	my_seat = 0
	view = session.view(my_seat)
	status.text = "Offline: you are red; click a column."
	queue_redraw()


func _offline_move(column: int) -> void:
	var result: Dictionary = session.apply(my_seat, {"column": column})
	if not result.ok:
		status.text = result.error.message
		return
	# The bot answers with the driver a host's room uses for its bot seats.
	var bot: Dictionary = session.bot_turn([1])
	if not bot.ok:
		status.text = bot.error.message
		return
	view = session.view(my_seat)
	if session.is_over():
		status.text = _result_text(session.outcome())
	queue_redraw()


# ---- online (LAN or server)


func _on_host() -> void:
	var port := lan_host.start("Godot demo host", 0)
	if port < 0:
		status.text = "Could not host (see the errors)."
		return
	mode = "online"
	status.text = "Hosting on port %d; waiting for a friend (or playing the bot)." % port
	client.connect_to_host("127.0.0.1", port, "Host")


func _on_host_found(info: Dictionary) -> void:
	found.append(info)
	var label: String = info.name
	if not info.compatible:
		label += " (incompatible: %s)" % info.reason
	hosts.add_item(label)


func _on_host_lost(name: String) -> void:
	for i in range(found.size() - 1, -1, -1):
		if found[i].fullname == name:
			found.remove_at(i)
			hosts.remove_item(i)


func _on_host_chosen(index: int) -> void:
	var info: Dictionary = found[index]
	mode = "online"
	client.connect_to_host(info.address, info.port, "Guest")


func _on_server() -> void:
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
	status.text = "Connected as %s; joining \"%s\"." % [welcome.name, ROOM]
	client.join_room(ROOM, "connect-four", {}, "")


func _on_room_changed(state: Dictionary) -> void:
	var phase = state.phase
	if typeof(phase) == TYPE_STRING and phase == "lobby":
		client.set_ready(true)
		var everyone_ready: bool = state.members.all(func(m): return m.ready or m.player == state.you)
		if state.host == state.you and state.members.size() >= 2 and everyone_ready:
			client.start_game()
		elif state.members.size() < 2:
			status.text = "In \"%s\": waiting for a second player." % ROOM
	elif typeof(phase) == TYPE_DICTIONARY and phase.has("over"):
		status.text = _result_text(phase.over.outcome)


func _on_game_started(info: Dictionary) -> void:
	my_seat = info.seat if info.seat != null else -1
	status.text = "Game on: you are %s." % ("red" if my_seat == 0 else "yellow")


func _on_view_changed(new_view: Variant, _events: Variant, _tick: int) -> void:
	view = new_view
	queue_redraw()


func _on_error(code: String, message: String) -> void:
	status.text = "%s (%s)" % [message, code]


func _on_disconnected(reason: String, reconnecting: bool) -> void:
	status.text = "Disconnected: %s%s" % [reason, " - reconnecting" if reconnecting else ""]


# ---- board


func _gui_input(event: InputEvent) -> void:
	if not (event is InputEventMouseButton and event.pressed):
		return
	var column := int((event.position.x - BOARD_ORIGIN.x) / CELL)
	if column < 0 or column >= COLUMNS:
		return
	if mode == "offline" and session != null and not session.is_over():
		_offline_move(column)
	elif mode == "online":
		client.send_action({"column": column})


func _draw() -> void:
	draw_rect(Rect2(BOARD_ORIGIN, Vector2(COLUMNS * CELL, ROWS * CELL)), Color(0.1, 0.2, 0.6))
	if not view.has("board"):
		return
	for row in ROWS:
		for column in COLUMNS:
			var cell = view.board[row][column]
			var color := Color(0.95, 0.95, 0.95)
			if cell != null:
				color = Color(0.85, 0.1, 0.1) if int(cell) == 0 else Color(0.95, 0.8, 0.1)
			var centre := BOARD_ORIGIN + Vector2(column * CELL + CELL / 2, row * CELL + CELL / 2)
			draw_circle(centre, CELL * 0.4, color)


func _result_text(outcome: Variant) -> String:
	if outcome == null or outcome.winners.is_empty():
		return "A draw."
	return "You won!" if int(outcome.winners[0]) == my_seat else "You lost."
