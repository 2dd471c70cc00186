/**
 * Money as CSMs read it in Slack: "$500K", "$1.125M". Up to three significant decimals so that
 * totals stay exact for typical ARR figures (1,125,000 → "$1.125M", not "$1.1M").
 */
const UNITS: { value: number; suffix: string }[] = [
  { value: 1e9, suffix: 'B' },
  { value: 1e6, suffix: 'M' },
  { value: 1e3, suffix: 'K' },
];

function trimmed(n: number): string {
  return n.toFixed(3).replace(/\.?0+$/, '');
}

export function formatArr(amount: number): string {
  if (!Number.isFinite(amount)) return '$0';
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  for (let i = 0; i < UNITS.length; i++) {
    const unit = UNITS[i]!;
    if (abs >= unit.value) {
      const scaled = Math.round((abs / unit.value) * 1000) / 1000;
      // 999,999.6 rounds to "1000K": show it in the next unit up instead.
      if (scaled >= 1000 && i > 0) {
        const bigger = UNITS[i - 1]!;
        return `${sign}$${trimmed(Math.round((abs / bigger.value) * 1000) / 1000)}${bigger.suffix}`;
      }
      return `${sign}$${trimmed(scaled)}${unit.suffix}`;
    }
  }
  // Below $1K: whole dollars, e.g. "$950".
  const whole = Math.round(abs);
  if (whole >= 1000) return `${sign}$1K`;
  return `${sign}$${whole}`;
}

/** Full amount with thousands separators for emails and the dashboard: "$1,125,000". */
export function formatUsd(amount: number): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 }).format(amount);
}
