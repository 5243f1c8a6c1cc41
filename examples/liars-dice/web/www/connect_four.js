// Connect four: a 7×6 grid; clicking any cell of a column plays that column. The view's
// board lists rows from the top, while cells are addressed with row 0 at the bottom.
const COLUMNS = 7;
const ROWS = 6;
const COLOURS = ['red', 'yellow'];

/** The seats that may act in this view. */
export function actors(view) {
  return view.to_move == null ? [] : [view.to_move];
}

export function create(area, ctx) {
  const el = document.createElement('div');
  el.className = 'connect-four';
  const legend = document.createElement('p');
  legend.className = 'legend';
  const board = document.createElement('div');
  board.id = 'board';
  board.setAttribute('role', 'grid');
  const cells = [];
  for (let row = ROWS - 1; row >= 0; row--) {
    for (let col = 0; col < COLUMNS; col++) {
      const cell = document.createElement('div');
      cell.className = 'cell';
      cell.setAttribute('role', 'gridcell');
      cell.dataset.col = String(col);
      cell.dataset.row = String(row);
      cell.dataset.seat = '';
      cells.push(cell);
      board.append(cell);
    }
  }
  // One listener for the whole board; the column is all that matters.
  board.addEventListener('click', (ev) => {
    const cell = ev.target.closest('[data-col]');
    if (cell) ctx.act({ column: Number(cell.dataset.col) });
  });
  // Highlight the column under the pointer, so it is clear a click plays the whole column.
  board.addEventListener('mouseover', (ev) => {
    const col = ev.target.closest('[data-col]')?.dataset.col;
    for (const c of cells) c.classList.toggle('hover', c.dataset.col === col);
  });
  board.addEventListener('mouseleave', () => cells.forEach((c) => c.classList.remove('hover')));
  el.append(legend, board);
  area.append(el);

  return {
    el,
    show(view, me) {
      const win = new Set((view.winning_line || []).map(([c, r]) => `${c},${r}`));
      for (const cell of cells) {
        const col = Number(cell.dataset.col);
        const row = Number(cell.dataset.row);
        const seat = view.board[ROWS - 1 - row][col];
        cell.dataset.seat = seat == null ? '' : String(seat);
        cell.classList.toggle('win', win.has(`${col},${row}`));
      }
      legend.replaceChildren(...[0, 1].map((seat) => {
        const span = document.createElement('span');
        span.className = `disc-label seat-${seat}` + (view.to_move === seat ? ' to-move' : '');
        const name = ctx.names(seat);
        span.textContent = `${name} (${COLOURS[seat]})${seat === me && name !== 'You' ? ' · you' : ''}`;
        return span;
      }));
    },
    destroy() {
      el.remove();
    },
  };
}
