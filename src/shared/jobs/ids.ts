import { randomBytes } from 'node:crypto';

/** `<prefix>-YYYYMMDD-HHMMSS-<6 hex>`: sorts by creation time, unique without coordination. */
export function timestampedId(prefix: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}
