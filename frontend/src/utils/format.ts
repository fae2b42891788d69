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

const SCALE = 1_000_000n; // 万元 strings carry at most 6 decimals

function toMicro(value: string): bigint {
  const [int, frac = ""] = value.split(".");
  return BigInt(int || "0") * SCALE + BigInt((frac + "000000").slice(0, 6));
}

function fromMicro(micro: bigint): string {
  const int = micro / SCALE;
  const frac = (micro % SCALE).toString().padStart(6, "0").replace(/0+$/, "");
  return frac ? `${int}.${frac}` : `${int}`;
}

/** a − Σ others, exactly, on 万元 strings (no floats): e.g. the bounty left to award. */
export function subtractWan(a: string, ...others: (string | null | undefined)[]): string {
  let micro = toMicro(a);
  for (const o of others) if (o) micro -= toMicro(o);
  return fromMicro(micro < 0n ? 0n : micro);
}

/** Compare two 万元 strings exactly: negative, 0 or positive like a − b. */
export function compareWan(a: string, b: string): number {
  const d = toMicro(a) - toMicro(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Σ of exact 万元 strings. */
export function sumWan(values: (string | null | undefined)[]): string {
  return fromMicro(values.reduce<bigint>((s, v) => (v ? s + toMicro(v) : s), 0n));
}

/** A 1–5 review score or mean ("4.00") with its scale: "4.00 / 5 分"; "—" when none yet. */
export function formatScore(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === "" ? "—" : `${value} / 5 分`;
}

/** Each criterion's share of the overall score, in %, from its weight ("30.00" of 100 → "30%"). */
export function weightShares(criteria: { code: string; weight: string }[]): Record<string, string> {
  const total = criteria.reduce((s, c) => s + Number(c.weight), 0);
  return Object.fromEntries(
    criteria.map((c) => [c.code, total > 0 ? `${Number(((Number(c.weight) / total) * 100).toFixed(1))}%` : "—"]),
  );
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
};

/** A figure as people write it: "1e-6" → 1×10⁻⁶, "2.5E+8" → 2.5×10⁸; anything else as typed
 * (the string is rewritten, never turned into a float). */
export function formatFigure(value: unknown): string {
  const text = value === null || value === undefined ? "" : String(value);
  const m = /^\s*([+-]?\d+(?:\.\d+)?)[eE]([+-]?)0*(\d+)\s*$/.exec(text);
  if (!m) return text;
  const exponent = `${m[2] === "-" ? "-" : ""}${m[3]}`;
  return `${m[1]}×10${[...exponent].map((c) => SUPERSCRIPT[c]).join("")}`;
}

/** A list's row count: 「1万+」 when the server stopped counting at `total` (`total_exact` false). */
export function formatCount(total: number, exact = true): string {
  if (exact) return String(total);
  return total >= 10000 && total % 10000 === 0 ? `${total / 10000}万+` : `${total}+`;
}
