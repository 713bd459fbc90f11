/** "1 fixation", "2 fixations", "1 class", "3 classes": a count with its noun agreeing. */
export function counted(count: number, singular: string, plural = /(s|x|ch|sh)$/.test(singular) ? `${singular}es` : `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
