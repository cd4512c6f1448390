/**
 * The server's time of an event: while a slot sleep on the server's clock runs its sleepers (see
 * `createSlotSleep`), the one reading of `Date.now()` it woke with; otherwise `Date.now()` itself.
 *
 * A slot wakes some hundred streams, and each token they send read the clock three times on its
 * way (the provider's pacing, the next sleep's slot, the pump's `now` for the session): 0.27 µs
 * per event in the vDSO under load, against 0.02 for a bare SSE server. Everything a wake runs
 * happens "at" that wake, as libuv's timers count from the loop's cached time rather than the
 * moment of the call: later streams of the slot see a time older by the work done before them in
 * the same slot (well under a slot's 5 ms), never a time from the future.
 */
export function eventNow(): number {
  const at = wake.at;
  // NaN (no wake running) is the only value not equal to itself.
  return at === at ? at : Date.now();
}

// A field of one object, not a module `let`: a double stored into a field is written in place,
// where a context slot would box a new number per wake.
const wake = { at: Number.NaN };

/** A slot sleep on the server's clock starts running what woke at `now`. */
export function beginWake(now: number): void {
  wake.at = now;
}

/** ... and is done: the time is the clock's again. */
export function endWake(): void {
  wake.at = Number.NaN;
}
