/**
 * JSON indented for people, with arrays of numbers (and of number pairs) on one line: a fixation tree has tens of
 * thousands of node ids, and one per line helps nobody.
 */
export function jsonText(value: unknown, indent = 2): string {
  const flat = (v: unknown): boolean => typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
  const write = (v: unknown, depth: number): string => {
    if (Array.isArray(v)) {
      if (v.every(flat)) return JSON.stringify(v);
      const pad = ' '.repeat((depth + 1) * indent);
      return `[\n${v.map((x) => pad + write(x, depth + 1)).join(',\n')}\n${' '.repeat(depth * indent)}]`;
    }
    if (v && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return '{}';
      const pad = ' '.repeat((depth + 1) * indent);
      return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${write(x, depth + 1)}`).join(',\n')}\n${' '.repeat(depth * indent)}}`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  return `${write(value, 0)}\n`;
}
