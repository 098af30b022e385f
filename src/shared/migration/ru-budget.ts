import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Caps the RU/s this process spends, as a token bucket holding one second of budget.
 * Writers take an estimate before a request and settle the real charge after it, so the
 * budget follows what Cosmos actually charged. A budget of 0 means no cap (429s still pace).
 */
export class RuBudget {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  get unlimited(): boolean {
    return this.perSecond <= 0;
  }

  async take(requestUnits: number): Promise<void> {
    if (this.unlimited) return;
    for (;;) {
      this.refill();
      if (this.tokens > 0) {
        this.tokens -= requestUnits;
        return;
      }
      await sleep(Math.ceil((-this.tokens / this.perSecond) * 1000) + 5);
    }
  }

  /** Corrects the last estimate with the real charge (positive: spent more than taken). */
  settle(difference: number): void {
    if (!this.unlimited) this.tokens -= difference;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.last) / 1000) * this.perSecond,
    );
    this.last = now;
  }
}
