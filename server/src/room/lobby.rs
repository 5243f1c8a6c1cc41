//! The lobby: joining, resuming and leaving, seats and readiness, the room host, starting a game, and rebuilding a room around a stored match.

use super::*;

impl Room {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn join(
        &mut self,
        link: u64,
        player: PlayerId,
        name: String,
        outbox: &Outbox,
        id: u32,
        password: Option<String>,
        join_as: JoinAs,
        creator: bool,
    ) -> Result<(), WireError> {
        if let Some(want) = &self.setup.password
            && !creator
            && !password.as_deref().is_some_and(|p| want.matches(p))
        {
            let message = match password.as_deref() {
                None | Some("") => format!(
                    "room `{}` needs its password; ask its host for it",
                    self.setup.name
                ),
                Some(_) => format!(
                    "that is not the password of room `{}`; check it with its host and retry",
                    self.setup.name
                ),
            };
            return Err(err(codes::WRONG_PASSWORD, message));
        }
        // The same account coming back (accounts give stable ids): take over its place.
        if let Some(idx) = self.members.iter().position(|m| m.player == player) {
            self.rebind(idx, link, outbox.clone());
            self.reply(idx, id, Reply::Joined(self.state_for(idx)));
            self.send_game_intro(idx, 0);
            self.push_room_state();
            return Ok(());
        }
        let seat = match join_as {
            JoinAs::Spectator => None,
            JoinAs::Player => {
                if matches!(self.phase, RoomPhase::Playing) {
                    return Err(err(
                        codes::ALREADY_STARTED,
                        format!(
                            "room `{}` is playing already; watch as a spectator, or resume your own seat with its token",
                            self.setup.name
                        ),
                    ));
                }
                Some(self.free_seat().ok_or_else(|| {
                    err(
                        codes::ROOM_FULL,
                        format!(
                            "all {} seats of room `{}` are taken; join as a spectator or try another room",
                            self.setup.max_seats, self.setup.name
                        ),
                    )
                })?)
            }
        };
        // Display names are unique in a room, ignoring case: a second "Ada" shows as "Ada 2".
        let taken = |n: &str| {
            self.members
                .iter()
                .any(|m| m.name.to_lowercase() == n.to_lowercase())
        };
        let name = (1..)
            .map(|i| {
                if i == 1 {
                    name.clone()
                } else {
                    format!("{name} {i}")
                }
            })
            .find(|n| !taken(n))
            .unwrap_or(name);
        self.members.push(MemberSlot {
            player,
            name,
            link,
            outbox: Some(outbox.clone()),
            seat,
            ready: false,
            grace: None,
            token: None,
            bot: None,
        });
        let idx = self.members.len() - 1;
        self.reply(idx, id, Reply::Joined(self.state_for(idx)));
        self.send_game_intro(idx, 0);
        self.push_room_state_except(Some(idx));
        Ok(())
    }

    pub(super) fn resume(
        &mut self,
        link: u64,
        player: PlayerId,
        outbox: &Outbox,
        id: u32,
        token: &str,
        next: u64,
    ) -> Result<(), WireError> {
        let Some(idx) = self
            .members
            .iter()
            .position(|m| m.token.as_deref() == Some(token))
        else {
            return Err(err(
                codes::BAD_RESUME,
                "that resume token is unknown or its seat was given up; join the room again",
            ));
        };
        // A seat that belongs to an account is resumed only by that account.
        let owner = self.members[idx].player;
        if owner < crate::services::ANONYMOUS_IDS && owner != player {
            return Err(err(
                codes::BAD_RESUME,
                "that seat belongs to another account",
            ));
        }
        self.rebind(idx, link, outbox.clone());
        self.reply(idx, id, Reply::Joined(self.state_for(idx)));
        self.send_game_intro(idx, next);
        self.push_room_state_except(Some(idx));
        Ok(())
    }

    /// Points a member at a new connection; the old one (if still open) is told it was
    /// superseded.
    pub(super) fn rebind(&mut self, idx: usize, link: u64, outbox: Outbox) {
        let m = &mut self.members[idx];
        if let Some(old) = m.outbox.take() {
            self.out.leave(&old, m.link, "superseded");
        }
        m.link = link;
        m.outbox = Some(outbox);
        m.grace = None;
        tracing::info!(room = %self.setup.name, player = m.player, "member (re)connected");
    }

    pub(super) fn free_seat(&self) -> Option<u8> {
        (0..self.setup.max_seats).find(|s| self.members.iter().all(|m| m.seat != Some(*s)))
    }

    pub(super) fn request(
        &mut self,
        idx: usize,
        id: u32,
        req: Request<Payload>,
    ) -> Result<Answer, WireError> {
        let playing = matches!(self.phase, RoomPhase::Playing);
        let running = || {
            err(
                codes::GAME_RUNNING,
                "a game is running; this is for the lobby (before a game or after it ends)",
            )
        };
        match req {
            Request::Sit { seat } => {
                if playing {
                    return Err(running());
                }
                let seat = match seat {
                    Some(s) => {
                        let taken = self
                            .members
                            .iter()
                            .enumerate()
                            .any(|(i, m)| i != idx && m.seat == Some(s));
                        if s >= self.setup.max_seats || taken {
                            return Err(err(
                                codes::SEAT_TAKEN,
                                format!(
                                    "seat {s} is taken or not in this room (seats 0 to {}); pick a free one or leave it out",
                                    self.setup.max_seats - 1
                                ),
                            ));
                        }
                        s
                    }
                    None => match self.members[idx].seat {
                        Some(s) => s,
                        None => self.free_seat().ok_or_else(|| {
                            err(
                                codes::ROOM_FULL,
                                "every seat is taken; keep watching or try another room",
                            )
                        })?,
                    },
                };
                self.members[idx].seat = Some(seat);
                self.members[idx].ready = false;
                self.push_room_state();
                Ok(Answer::Reply(Reply::Ok))
            }
            Request::Stand => {
                if playing {
                    return Err(running());
                }
                self.members[idx].seat = None;
                self.members[idx].ready = false;
                self.push_room_state();
                Ok(Answer::Reply(Reply::Ok))
            }
            Request::Ready { ready } => {
                if playing {
                    return Err(running());
                }
                if self.members[idx].seat.is_none() {
                    return Err(err(codes::NOT_SEATED, "take a seat before you get ready"));
                }
                self.members[idx].ready = ready;
                self.push_room_state();
                Ok(Answer::Reply(Reply::Ok))
            }
            Request::Start => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(
                        codes::NOT_HOST,
                        "only the room's host can start the game",
                    ));
                }
                if playing {
                    return Err(running());
                }
                Ok(Answer::Later(self.start(idx, id)?))
            }
            Request::AddBot { level } => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(codes::NOT_HOST, "only the room's host can add bots"));
                }
                if playing {
                    return Err(running());
                }
                let seat = self.free_seat().ok_or_else(|| {
                    err(
                        codes::ROOM_FULL,
                        "every seat is taken; there is no room for a bot",
                    )
                })?;
                let n = self.members.iter().filter(|m| m.bot.is_some()).count() + 1;
                let player = self.hub.next_id();
                self.members.push(MemberSlot {
                    player,
                    name: format!("Bot {n}"),
                    link: 0,
                    outbox: None,
                    seat: Some(seat),
                    ready: true,
                    grace: None,
                    token: None,
                    bot: Some(level.clamp(1, MAX_BOT_LEVEL)),
                });
                self.push_room_state();
                Ok(Answer::Reply(Reply::Ok))
            }
            Request::Leave => {
                self.reply(idx, id, Reply::Ok);
                self.remove_member(idx, Some("left"));
                Ok(Answer::Sent)
            }
            Request::Kick { player } => {
                if self.host != Some(self.members[idx].player) {
                    return Err(err(codes::NOT_HOST, "only the room's host can kick"));
                }
                if player == self.members[idx].player {
                    return Err(err(
                        codes::BAD_REQUEST,
                        "you cannot kick yourself; leave instead",
                    ));
                }
                let Some(target) = self.members.iter().position(|m| m.player == player) else {
                    return Err(err(
                        codes::UNKNOWN_PLAYER,
                        format!("player {player} is not in this room"),
                    ));
                };
                self.reply(idx, id, Reply::Ok);
                tracing::info!(room = %self.setup.name, player, "kicked");
                self.remove_member(target, Some("kicked"));
                Ok(Answer::Sent)
            }
            Request::Chat { text } => {
                let text = crate::names::chat(&text)?;
                let from = self.members[idx].player;
                let name = self.members[idx].name.clone();
                self.broadcast(|_| ServerMsg::Chat {
                    from,
                    name: name.clone(),
                    text: text.clone(),
                });
                Ok(Answer::Reply(Reply::Ok))
            }
            Request::Action { action, tick } => self.action(idx, id, action, tick),
            Request::View => {
                let enc = self.encoding(idx);
                let viewer = self.viewer(idx);
                let game = self.game_or_err()?;
                let (index, tick) = (game.session.log_len(), game.session.tick_count());
                let view = self.rules(|g| g.session.view(viewer, enc))??;
                Ok(Answer::Reply(Reply::View { index, tick, view }))
            }
            Request::Legal => {
                let enc = self.encoding(idx);
                self.game_or_err()?;
                let Viewer::Seat(seat) = self.viewer(idx) else {
                    return Err(err(codes::NOT_SEATED, "spectators have no legal actions"));
                };
                let actions = self.rules(|g| g.session.legal_actions(seat, enc))??;
                Ok(Answer::Reply(Reply::Legal { actions }))
            }
            Request::Hash { index, hash } => self.check_hash(idx, index, &hash).map(Answer::Reply),
            Request::Hello(_)
            | Request::Resume { .. }
            | Request::ListGames
            | Request::ListRooms
            | Request::CreateRoom { .. }
            | Request::Join { .. }
            | Request::SubscribeLeaderboard { .. }
            | Request::Ping => Err(err(
                codes::BAD_REQUEST,
                "this request is not for a room (leave the room first to join another)",
            )),
        }
    }

    pub(super) fn remove_member(&mut self, idx: usize, reason: Option<&str>) {
        let m = self.members.remove(idx);
        if let Some(outbox) = &m.outbox {
            match reason {
                Some(reason) => self.out.leave(outbox, m.link, reason),
                None => self.out.push(Effect::Left(outbox.clone(), m.link)),
            }
        }
        if let Some(token) = &m.token {
            self.hub.remove_tokens(std::slice::from_ref(token));
        }
        if self.host == Some(m.player) {
            // The host passes to the longest-present connected member.
            self.host = self
                .members
                .iter()
                .find(|x| x.outbox.is_some())
                .or(self.members.iter().find(|x| x.bot.is_none()))
                .map(|x| x.player);
        }
        self.abandon_if_running();
        self.push_room_state();
    }

    /// Keeps the host a present member: the creator (set before anyone enters, so a
    /// concurrent joiner cannot take it), else the longest-present connected member.
    pub(super) fn repair_host(&mut self) {
        if self
            .host
            .is_some_and(|h| self.members.iter().any(|m| m.player == h))
        {
            return;
        }
        if self.host.is_some() && self.members.is_empty() {
            return;
        }
        let next = self
            .members
            .iter()
            .find(|x| x.outbox.is_some())
            .or(self.members.iter().find(|x| x.bot.is_none()))
            .map(|x| x.player);
        if next != self.host {
            self.host = next;
            self.push_room_state();
        }
    }

    pub(super) fn expire_graces(&mut self, now: Instant) {
        while let Some(idx) = self
            .members
            .iter()
            .position(|m| m.grace.is_some_and(|g| g <= now))
        {
            tracing::info!(room = %self.setup.name, player = self.members[idx].player, "seat grace expired");
            self.remove_member(idx, None);
        }
    }

    /// A running game whose players have all gone is stopped, so watchers are not left
    /// waiting forever.
    pub(super) fn abandon_if_running(&mut self) {
        if !matches!(self.phase, RoomPhase::Playing)
            || self
                .members
                .iter()
                .any(|m| m.seat.is_some() && m.bot.is_none())
        {
            return;
        }
        if let Some(g) = self.game.as_mut() {
            self.out.push(Effect::StopTicker);
            g.finished = true;
            self.out.push(Effect::Finished {
                match_id: g.match_id,
                outcome: None,
                hash: g.session.hash(),
                ticks: g.session.tick_count(),
            });
        }
        self.phase = RoomPhase::Aborted {
            error: err(codes::ABANDONED, "every player left the game"),
        };
        self.push_room_state();
    }

    // ----- the game -----------------------------------------------------------------------

    /// Sets a game up; the match is registered (the returned work) before it begins in
    /// [`Room::registered`].
    pub(super) fn start(&mut self, idx: usize, id: u32) -> Result<Work, WireError> {
        let meta = self.setup.meta.clone();
        let mut seated: Vec<usize> = (0..self.members.len())
            .filter(|&i| self.members[i].seat.is_some())
            .collect();
        seated.sort_by_key(|&i| self.members[i].seat);
        let ready = seated.iter().filter(|&&i| self.members[i].ready).count();
        if seated.len() < meta.min_seats as usize || ready < seated.len() {
            return Err(err(
                codes::NOT_READY,
                format!(
                    "{ready} of {} seated players are ready; {} needs at least {} seated and all of them ready",
                    seated.len(),
                    meta.name,
                    meta.min_seats
                ),
            ));
        }
        let seats = seated.len() as u8;
        let seed = match &self.hub.config().seeds {
            Some(pick) => pick(&self.setup.name),
            None => random_seed()?,
        };
        let catalog = self.hub.config().catalog.clone();
        let created = catch_unwind(AssertUnwindSafe(|| {
            catalog.create(&meta.name, &self.setup.config_postcard, seats, seed)
        }));
        let session = match created {
            Ok(result) => result?,
            Err(panic) => {
                self.fail_with_panic(&*panic);
                return Err(err(
                    codes::ROOM_FAILED,
                    "the game's setup failed; the room is closed",
                ));
            }
        };
        let players: Vec<PlayerId> = seated.iter().map(|&i| self.members[i].player).collect();
        let start = MatchStart {
            room: self.setup.name.clone(),
            game: meta.name.clone(),
            fingerprint: meta.fingerprint.clone(),
            seats,
            seed,
            config: self.setup.config_postcard.clone(),
            players: seated
                .iter()
                .map(|&i| (self.members[i].player, self.members[i].name.clone()))
                .collect(),
        };
        Ok(Work::Register {
            start,
            then: Box::new(Starting {
                idx,
                id,
                seated,
                seed,
                session,
                players,
            }),
        })
    }

    /// The match is registered (or not): the game begins, and bots take their first turns.
    pub(super) fn registered(
        &mut self,
        starting: Starting,
        match_id: Result<u64, crate::services::RecordError>,
    ) -> Option<Work> {
        let (idx, id) = (starting.idx, starting.id);
        let begun = match_id
            .map_err(|e| {
                tracing::error!(room = %self.setup.name, "{e}");
                err(
                    codes::UNAVAILABLE,
                    "the match could not be recorded; try starting again",
                )
            })
            .and_then(|match_id| self.begin(starting, match_id));
        match begun {
            Ok(()) => self.next_bot(0),
            Err(error) => {
                self.send_to(
                    idx,
                    &ServerMsg::Error {
                        id: Some(id),
                        error,
                    },
                );
                None
            }
        }
    }

    /// Seats the players of a registered match and tells everyone the game began.
    fn begin(&mut self, starting: Starting, match_id: u64) -> Result<(), WireError> {
        let Starting {
            idx,
            id,
            seated,
            seed,
            session,
            players,
        } = starting;
        let meta = self.setup.meta.clone();
        let seats = seated.len() as u8;
        // In a cluster, tokens every node can check: the seat resumes wherever the match
        // moves (`Cluster::seat_token`).
        let cluster = self.hub.config().cluster.clone();
        let tokens = (0..seated.len() as u8)
            .map(|seat| match &cluster {
                Some(c) => Ok(c.seat_token(&self.setup.key, match_id, seat)),
                None => random_token(),
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.hub.remove_tokens(&self.tokens);
        self.tokens.clear();
        for ((game_seat, &i), token) in seated.iter().enumerate().zip(tokens) {
            self.hub.add_token(&token, &self.setup.key);
            self.tokens.push(token.clone());
            let m = &mut self.members[i];
            m.seat = Some(game_seat as u8);
            m.token = Some(token);
        }
        // Players confirm again for a rematch; bots are always ready.
        for m in &mut self.members {
            m.ready = m.bot.is_some();
        }
        let sync = meta.sync_mode();
        let hash = session.hash();
        let streams = match sync {
            SyncMode::PerfectInformation => vec![Vec::new()],
            SyncMode::HiddenInformation => (0..seats).map(|_| Vec::new()).collect(),
            SyncMode::RealTime => Vec::new(),
        };
        self.game = Some(Running {
            session,
            sync,
            seed,
            players,
            match_id,
            streams,
            hashes: vec![hash],
            recent: VecDeque::from([(0, hash)]),
            pending: BTreeMap::new(),
            arrivals: 0,
            finished: false,
        });
        self.phase = RoomPhase::Playing;
        if let Some(rate) = self.setup.meta.tick_rate {
            self.out.push(Effect::ArmTicker(rate));
        }
        tracing::info!(room = %self.setup.name, game = %self.setup.meta.name, seats, match_id, "game started");
        self.reply(idx, id, Reply::Ok);
        for i in 0..self.members.len() {
            self.send_game_intro(i, u64::MAX);
        }
        if sync == SyncMode::HiddenInformation {
            self.push_views(None, &Payload::Postcard(vec![0]));
        }
        self.push_room_state();
        Ok(())
    }

    /// A room rebuilt from a stored match (after a restart) at `now`: playing, with every
    /// seat held for its account, who takes it back by joining the room by name.
    pub(crate) fn restored(
        hub: Arc<dyn Directory>,
        id: u64,
        setup: RoomSetup,
        session: DynSession,
        players: Vec<(PlayerId, String)>,
        match_id: u64,
        now: Instant,
    ) -> Room {
        let sync = setup.meta.sync_mode();
        let seats = players.len();
        let header = session.header(Encoding::Postcard);
        // The hashes and streams are rebuilt from the log so desync checks and late joiners
        // see the same history as before the restart.
        let mut hashes = Vec::new();
        let mut streams: Vec<Vec<Arc<StreamItem>>> = match sync {
            SyncMode::PerfectInformation => vec![Vec::new()],
            SyncMode::HiddenInformation => (0..seats).map(|_| Vec::new()).collect(),
            SyncMode::RealTime => Vec::new(),
        };
        let catalog = hub.config().catalog.clone();
        if sync != SyncMode::RealTime
            && let Ok(mut replay) =
                catalog.create(&header.game, &header.config, header.seats, header.seed)
        {
            hashes.push(replay.hash());
            for entry in session.log(0, Encoding::Postcard) {
                let Ok(events) = replay.apply(entry.seat, &entry.action) else {
                    break;
                };
                hashes.push(replay.hash());
                if sync == SyncMode::PerfectInformation {
                    streams[0].push(Arc::new(StreamItem::entry(
                        entry.index,
                        entry.tick,
                        entry.seat.0,
                        entry.action.clone(),
                        events,
                    )));
                }
            }
        }
        let hash = session.hash();
        let grace = now + hub.config().limits.seat_grace;
        let members = players
            .iter()
            .enumerate()
            .map(|(seat, (player, name))| MemberSlot {
                player: *player,
                name: name.clone(),
                link: 0,
                outbox: None,
                seat: Some(seat as u8),
                ready: false,
                grace: Some(grace),
                token: None,
                bot: None,
            })
            .collect();
        let host = players.first().map(|p| p.0);
        let mut room = Room::new(hub, id, setup, host.unwrap_or_default());
        room.members = members;
        // A match taken over from another node of a cluster: its seats' tokens are the ones
        // the players hold, so they resume here.
        if let Some(cluster) = room.hub.config().cluster.clone() {
            for (seat, m) in room.members.iter_mut().enumerate() {
                let token = cluster.seat_token(&room.setup.key, match_id, seat as u8);
                room.hub.add_token(&token, &room.setup.key);
                room.tokens.push(token.clone());
                m.token = Some(token);
            }
        }
        room.phase = RoomPhase::Playing;
        let hidden = sync == SyncMode::HiddenInformation;
        room.game = Some(Running {
            sync,
            seed: header.seed,
            players: players.iter().map(|p| p.0).collect(),
            match_id,
            streams,
            hashes: if hashes.is_empty() {
                vec![hash]
            } else {
                hashes
            },
            recent: VecDeque::from([(session.tick_count(), hash)]),
            pending: BTreeMap::new(),
            arrivals: 0,
            finished: false,
            session,
        });
        if let Some(rate) = room.setup.meta.tick_rate {
            room.out.push(Effect::ArmTicker(rate));
        }
        if hidden {
            // Views are not in the log: each seat's stream restarts from its current view.
            room.push_views(None, &Payload::Postcard(vec![0]));
        }
        // The process died after the last move was kept but before the end was: end it now,
        // or it would be restored at every start, its result never recorded.
        room.finish_if_over();
        room
    }
}
