/** Amounts arrive as exact 万元 strings ("85.5"); they are shown, never turned into floats. */
export function formatWan(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const [int, frac] = value.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${frac ? `${grouped}.${frac}` : grouped} 万元`;
}

export function priceRange(min: string | null, max: string | null): string {
  if (!min && !max) return "面议";
  if (min && max) return min === max ? formatWan(min) : `${min}–${formatWan(max)}`;
  return min ? `${formatWan(min)} 起` : `不超过 ${formatWan(max)}`;
}

export function countdown(daysLeft: number): string {
  if (daysLeft < 0) return "已截止";
  if (daysLeft === 0) return "今日截止";
  return `剩余 ${daysLeft} 天`;
}

export function countdownType(daysLeft: number): "danger" | "warning" | "success" {
  if (daysLeft < 0) return "danger";
  return daysLeft <= 14 ? "warning" : "success";
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "—";
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A 万元 amount as typed: digits with up to 6 decimals (the API's own limit). */
export const WAN_PATTERN = /^\d{1,6}(\.\d{1,6})?$/;
