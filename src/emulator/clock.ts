/**
 * The emulator's clock: an injectable base clock plus an offset that `POST /_emulator/clock`
 * advances, so tests can expire tokens (§2) and access grants (A5) without waiting.
 */
export class EmulatorClock {
  private offsetMs = 0;

  constructor(private readonly base: () => number = Date.now) {}

  now(): number {
    return this.base() + this.offsetMs;
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }

  resetOffset(): void {
    this.offsetMs = 0;
  }
}
