/**
 * Column alignment as kubectl's tabwriter does it (Go text/tabwriter with min width 6,
 * padding 3, padded with spaces): every cell but a line's last is padded to its column's
 * width; a line without cells (a blank line) ends a block of aligned lines.
 */
const width = (s: string) => [...s].length;

export function alignColumns(lines: string[][], o: { padding?: number; minWidth?: number } = {}): string {
  const padding = o.padding ?? 3;
  const minWidth = o.minWidth ?? 6;
  let out = '';
  let block: string[][] = [];
  const flush = () => {
    const widths: number[] = [];
    for (const cells of block) {
      cells.forEach((c, i) => {
        if (i === cells.length - 1) return;
        widths[i] = Math.max(widths[i] ?? 0, width(c) + padding, minWidth);
      });
    }
    for (const cells of block) {
      out += `${cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c)))).join('')}\n`;
    }
    block = [];
  };
  for (const cells of lines) {
    if (cells.length <= 1) {
      flush();
      out += `${cells[0] ?? ''}\n`;
    } else block.push(cells);
  }
  flush();
  return out;
}
