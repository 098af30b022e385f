import { JsonValue, UnrepresentableJson } from './values';

/**
 * Parses JSON text from PostgreSQL. JSONB keeps numbers as exact decimals; Cosmos keeps
 * doubles. A number whose decimal value changes on the way through a double (2^53+1,
 * 0.10000000000000001, 1e400) would be silently altered, so it is flagged instead.
 */
export function parseJsonExact(text: string): JsonValue | UnrepresentableJson {
  const problem = findUnrepresentableNumber(text);
  return problem ? new UnrepresentableJson(problem) : (JSON.parse(text) as JsonValue);
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function findUnrepresentableNumber(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      i = skipString(text, i);
    } else if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)![0];
      if (!survivesDouble(token))
        return `number ${token.slice(0, 40)} cannot be held exactly as a JSON double`;
      i += token.length - 1;
    }
  }
  return undefined;
}

function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x5c /* \ */) i++;
    else if (ch === 0x22) return i;
  }
  return text.length;
}

/** Fast path for the common short integers and decimals; exact comparison otherwise. */
function survivesDouble(token: string): boolean {
  const value = Number(token);
  if (!Number.isFinite(value)) return false;
  if (token.length <= 15 && !/[eE]/.test(token)) return true;
  return canonicalDecimal(token) === canonicalDecimal(String(value));
}

/** Decimal text to `digits e exponent` with no leading/trailing zeros, so equal values compare equal. */
function canonicalDecimal(token: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, sign, intPart, fracPart = '', exp = '0'] = match;
  let digits = (intPart! + fracPart).replace(/^0+/, '');
  let exponent = Number(exp) - fracPart.length;
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  return `${sign}${digits}e${exponent}`;
}
