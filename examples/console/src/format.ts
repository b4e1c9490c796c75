// Display helpers for the server's scalars: Decimal is a string with two
// decimals, DateTime an RFC 3339 string in UTC.
export function money(amount: string | null | undefined, currency?: string): string {
  if (amount == null) return '—';
  const value = Number(amount);
  if (!Number.isFinite(value)) return amount;
  return currency
    ? new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(value)
    : new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
}

export function date(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function day(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function percent(value: number | null | undefined): string {
  return value == null ? '—' : `${Math.round(value * 100)}%`;
}

export const label = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');
