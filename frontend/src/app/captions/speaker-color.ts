/**
 * Per-speaker colours, so a speaker's lines are recognisable at a glance. Text shades pass
 * WCAG AA (4.5:1) on the page background of either theme; avatars carry white initials.
 */
const PALETTE = [
  { text: 'text-indigo-700 dark:text-indigo-300', avatar: 'bg-indigo-700' },
  { text: 'text-emerald-700 dark:text-emerald-300', avatar: 'bg-emerald-700' },
  { text: 'text-rose-700 dark:text-rose-300', avatar: 'bg-rose-700' },
  { text: 'text-amber-700 dark:text-amber-300', avatar: 'bg-amber-700' },
  { text: 'text-sky-700 dark:text-sky-300', avatar: 'bg-sky-700' },
  { text: 'text-fuchsia-700 dark:text-fuchsia-300', avatar: 'bg-fuchsia-700' },
  { text: 'text-teal-700 dark:text-teal-300', avatar: 'bg-teal-700' },
  { text: 'text-orange-700 dark:text-orange-300', avatar: 'bg-orange-700' },
] as const;

export type SpeakerColor = (typeof PALETTE)[number];
export const SPEAKER_COLORS: readonly SpeakerColor[] = PALETTE;

/**
 * The colour of a speaker, from their name: it stays the same when they reconnect (which
 * gives them a new participant id) and on everyone's screen.
 */
export function speakerColor(name: string): SpeakerColor {
  let hash = 0;
  for (const char of name.trim().toLowerCase()) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return PALETTE[Math.abs(hash) % PALETTE.length];
}
