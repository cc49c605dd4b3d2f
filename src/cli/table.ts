/**
 * The one way the CLI prints a table: columns as wide as their widest cell (or `minWidth`), two
 * spaces between columns unless a column says otherwise, the last column never padded, no
 * trailing spaces.
 */
export interface TableColumn {
  /** @default "left" */
  readonly align?: "left" | "right";
  /** @default 0 - as wide as the widest cell */
  readonly minWidth?: number;
  /** What separates this column from the previous one. @default "  " */
  readonly gap?: string;
}

export interface TableOptions {
  /** Per column, by position; missing entries use the defaults. */
  readonly columns?: readonly TableColumn[];
  /** Put before every line. @default "" */
  readonly indent?: string;
}

export function table(rows: ReadonlyArray<readonly string[]>, options: TableOptions = {}): string[] {
  const count = Math.max(0, ...rows.map((row) => row.length));
  const column = (i: number): TableColumn => options.columns?.[i] ?? {};
  const widths = Array.from({ length: count }, (_, i) => Math.max(column(i).minWidth ?? 0, ...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => {
    const cells = widths.map((width, i) => {
      const cell = row[i] ?? "";
      if (column(i).align === "right") return cell.padStart(width);
      return i === count - 1 ? cell : cell.padEnd(width);
    });
    const line = cells.map((cell, i) => (i === 0 ? cell : `${column(i).gap ?? "  "}${cell}`)).join("");
    return `${options.indent ?? ""}${line}`.trimEnd();
  });
}
