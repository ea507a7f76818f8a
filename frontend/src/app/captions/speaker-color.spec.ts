import { SPEAKER_COLORS, speakerColor } from './speaker-color';

/** WCAG contrast of two CSS colours, converted to sRGB by a canvas. */
function contrast(first: string, second: string): number {
  const canvas = document.createElement('canvas').getContext('2d', { willReadFrequently: true })!;
  const luminance = (color: string) => {
    canvas.clearRect(0, 0, 1, 1);
    canvas.fillStyle = color;
    canvas.fillRect(0, 0, 1, 1);
    const [r, g, b] = [...canvas.getImageData(0, 0, 1, 1).data.slice(0, 3)].map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

describe('speaker colours', () => {
  afterEach(() => document.documentElement.classList.remove('dark'));

  it('follow the name, so a reconnected speaker keeps theirs', () => {
    expect(speakerColor('Ada')).toBe(speakerColor(' ada '));
    const names = ['Ada', 'Bob', 'Chen', 'Dana', 'Eve', 'Femi', 'Gus', 'Hana'];
    expect(new Set(names.map(speakerColor)).size).toBeGreaterThan(1);
  });

  for (const dark of [false, true]) {
    it(`pass WCAG AA on the page background (${dark ? 'dark' : 'light'} theme)`, () => {
      document.documentElement.classList.toggle('dark', dark);
      const page = getComputedStyle(document.body).backgroundColor;
      expect(page).withContext('the global styles are loaded').not.toBe('rgba(0, 0, 0, 0)');
      for (const color of SPEAKER_COLORS) {
        const name = document.body.appendChild(document.createElement('span'));
        name.className = color.text;
        const avatar = document.body.appendChild(document.createElement('span'));
        avatar.className = `${color.avatar} text-white`;
        expect(contrast(getComputedStyle(name).color, page))
          .withContext(color.text)
          .toBeGreaterThanOrEqual(4.5);
        const { color: initials, backgroundColor } = getComputedStyle(avatar);
        expect(contrast(initials, backgroundColor))
          .withContext(color.avatar)
          .toBeGreaterThanOrEqual(4.5);
        name.remove();
        avatar.remove();
      }
    });
  }
});
