/** Stable per-speaker colours, so a speaker's lines are recognisable at a glance. */
const PALETTE = [
  { text: 'text-indigo-600 dark:text-indigo-400', avatar: 'bg-indigo-500' },
  { text: 'text-emerald-600 dark:text-emerald-400', avatar: 'bg-emerald-500' },
  { text: 'text-rose-600 dark:text-rose-400', avatar: 'bg-rose-500' },
  { text: 'text-amber-600 dark:text-amber-400', avatar: 'bg-amber-500' },
  { text: 'text-sky-600 dark:text-sky-400', avatar: 'bg-sky-500' },
  { text: 'text-fuchsia-600 dark:text-fuchsia-400', avatar: 'bg-fuchsia-500' },
  { text: 'text-teal-600 dark:text-teal-400', avatar: 'bg-teal-500' },
  { text: 'text-orange-600 dark:text-orange-400', avatar: 'bg-orange-500' },
] as const;

export function speakerColor(id: string): (typeof PALETTE)[number] {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length];
}
