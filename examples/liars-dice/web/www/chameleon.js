// Chameleon: the topic card, your secret (or "you are the chameleon"), the clues in turn
// order, the votes and the reveal. The DOM is built once and updated in place, so a clue
// being typed survives the updates other players cause.

/** The seats that may act in this view. */
export function actors(view) {
  switch (view.phase) {
    case 'clues': return view.to_clue == null ? [] : [view.to_clue];
    case 'votes': return view.voted.flatMap((done, seat) => (done ? [] : [seat]));
    case 'guess': return view.caught == null ? [] : [view.caught];
    default: return [];
  }
}

function node(tag, className, text) {
  const n = document.createElement(tag);
  if (className) n.className = className;
  if (text !== undefined) n.textContent = text;
  return n;
}

export function create(area, ctx) {
  const el = node('div', 'chameleon');
  const head = node('p', 'round');
  const secret = node('p', 'secret');
  const words = node('div', 'words');
  const form = node('form', 'clue-form');
  const clue = Object.assign(node('input'), { id: 'clue', maxLength: 40, placeholder: 'Your clue', autocomplete: 'off' });
  const send = Object.assign(node('button', '', 'Give clue'), { id: 'send-clue', type: 'submit' });
  form.append(clue, send);
  form.hidden = true;
  const table = node('table', 'seats');
  table.innerHTML = '<thead><tr><th>Player</th><th>Clue</th><th>Vote</th><th>Score</th></tr></thead><tbody></tbody>';
  const votes = node('div', 'votes');
  const guess = node('p', 'guess');
  const reveal = node('div', 'reveal');
  el.append(head, secret, words, form, table, votes, guess, reveal);
  area.append(el);

  let sending = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (sending) return;
    sending = true;
    send.disabled = true;
    try {
      if (await ctx.act({ clue: clue.value })) clue.value = '';
    } finally {
      sending = false;
      send.disabled = false;
    }
  });
  // Vote and guess buttons are rebuilt with each view; one listener serves them all.
  el.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-vote], button[data-guess]');
    if (!b) return;
    if (b.dataset.vote !== undefined) ctx.act({ vote: Number(b.dataset.vote) });
    else ctx.act({ guess: b.dataset.guess });
  });

  // Names with "(you)" on your own seat, unless the name already says so (offline "You").
  const who = (seat, me) => (seat === me && ctx.names(seat) !== 'You' ? `${ctx.names(seat)} (you)` : ctx.names(seat));

  function showReveal(r, me) {
    if (!r) return reveal.replaceChildren();
    const lines = [
      `Round ${r.round} (${r.topic}): the word was “${r.word}”; the chameleon was ${who(r.chameleon, me)}.`,
      'Votes: ' + r.votes.map((to, from) => `${ctx.names(from)} → ${ctx.names(to)}`).join(', ') + '.',
      r.accused == null ? 'The vote was tied: the chameleon escaped.'
        : r.caught ? `The votes caught the chameleon, who guessed “${r.guess}”: ${r.guessed_right ? 'right' : 'wrong'}.`
          : `The votes picked ${who(r.accused, me)}: the chameleon escaped.`,
      'Points: ' + r.points.map((p, s) => `${ctx.names(s)} +${p}`).join(', ') + '.',
    ];
    reveal.replaceChildren(node('h4', '', 'Last round'), ...lines.map((t) => node('p', '', t)));
  }

  return {
    el,
    show(view, me) {
      const seated = me !== null && me !== undefined;
      head.textContent = view.phase === 'over'
        ? `Game over after ${view.rounds} rounds · topic: ${view.topic}`
        : `Round ${view.round} of ${view.rounds} · topic: ${view.topic} · ${{ clues: 'clues', votes: 'voting', guess: 'the chameleon guesses' }[view.phase]}`;
      secret.textContent = view.you_are_chameleon === true ? 'You are the chameleon: blend in, you do not know the word.'
        : view.secret_word ? `The secret word is “${view.secret_word}”.` : 'You are watching.';
      secret.classList.toggle('is-chameleon', view.you_are_chameleon === true);

      // The card; while the caught chameleon (you) guesses, its words are the guess buttons.
      const guessing = view.phase === 'guess' && seated && view.caught === me;
      words.replaceChildren(...view.words.map((w) => {
        const b = node(guessing ? 'button' : 'span', 'word' + (w === view.secret_word ? ' is-secret' : ''), w);
        if (guessing) {
          b.type = 'button';
          b.dataset.guess = w;
        }
        return b;
      }));

      const myClue = view.phase === 'clues' && seated && view.to_clue === me;
      if (myClue && form.hidden) setTimeout(() => clue.focus(), 0);
      form.hidden = !myClue;

      table.tBodies[0].replaceChildren(...view.scores.map((score, seat) => {
        const tr = node('tr', seat === me ? 'you' : '');
        const given = view.clues[seat];
        const vote = view.votes ? ctx.names(view.votes[seat]) : view.voted[seat] ? 'voted' : '';
        const clueText = given ?? (view.to_clue === seat ? 'thinking…' : '');
        for (const t of [who(seat, me), clueText, vote, String(score)]) tr.append(node('td', '', t));
        return tr;
      }));

      votes.replaceChildren();
      if (view.phase === 'votes' && seated) {
        if (view.your_vote == null) {
          votes.append(node('span', '', 'Who is the chameleon? '));
          for (let seat = 0; seat < view.scores.length; seat++) {
            if (seat === me) continue;
            const b = node('button', '', `Vote ${ctx.names(seat)}`);
            b.type = 'button';
            b.dataset.vote = String(seat);
            votes.append(b);
          }
        } else {
          votes.append(node('span', '', `You voted for ${ctx.names(view.your_vote)}; waiting for the other votes.`));
        }
      }

      guess.textContent = view.phase !== 'guess' ? ''
        : guessing ? 'You were caught! Guess the secret word: pick it on the card.'
          : `The votes caught ${who(view.caught, me)}, the chameleon, who now guesses the word.`;
      showReveal(view.last_round, me);
    },
    destroy() {
      el.remove();
    },
  };
}
