/**
 * Column alignment as kubectl's tabwriter does it (Go text/tabwriter, padded with spaces;
 * `get` uses min width 6 and padding 3, `describe` 0 and 2). A line is a list of cells,
 * every cell but the last one tab-terminated. As in Go, a column is aligned over each run
 * of consecutive lines that have a terminated cell in that column, so a line with fewer
 * cells (a heading, a blank line) ends the runs of the columns it lacks.
 */
const width = (s: string) => [...s].length;

export function alignColumns(lines: string[][], o: { padding?: number; minWidth?: number } = {}): string {
  const padding = o.padding ?? 3;
  const minWidth = o.minWidth ?? 6;
  const out: string[] = [];
  const widths: number[] = [];
  /** Lines [from, to) with the column widths found so far. */
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i]!;
      out.push(cells.map((c, j) => (j < widths.length && j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[j]! - width(c))) : c)).join(''));
    }
  };
  /** Go's Writer.format: finds the runs of lines with a cell in the next column, recursively. */
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t]!.length - 1) continue;
      write(line0, t);
      line0 = t;
      let w = minWidth;
      for (; t < line1; t++) {
        const cells = lines[t]!;
        if (column >= cells.length - 1) break;
        w = Math.max(w, width(cells[column]!) + padding);
      }
      widths.push(w);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    write(line0, line1);
  };
  format(0, lines.length);
  return out.map((l) => `${l}\n`).join('');
}
