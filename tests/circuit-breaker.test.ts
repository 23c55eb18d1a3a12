import { describe, expect, it } from "vitest";
import { CircuitBreaker, CircuitOpenError } from "../src/lib/circuit-breaker.js";

function clockedBreaker() {
  let now = 0;
  const states: string[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    resetTimeoutMs: 1000,
    now: () => now,
    onStateChange: (s) => states.push(s),
  });
  return { breaker, states, advance: (ms: number) => (now += ms) };
}

const fail = () => Promise.reject(new Error("down"));
const ok = () => Promise.resolve("up");

describe("circuit breaker", () => {
  it("opens after the threshold of consecutive failures; a success in between resets the count", async () => {
    const { breaker } = clockedBreaker();
    await expect(breaker.run(fail)).rejects.toThrow("down");
    await expect(breaker.run(fail)).rejects.toThrow("down");
    await breaker.run(ok);
    await expect(breaker.run(fail)).rejects.toThrow("down");
    await expect(breaker.run(fail)).rejects.toThrow("down");
    expect(breaker.state).toBe("CLOSED");
    await expect(breaker.run(fail)).rejects.toThrow("down");
    expect(breaker.state).toBe("OPEN");
  });

  it("fails fast while open, without calling", async () => {
    const { breaker, advance } = clockedBreaker();
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    let called = false;
    advance(400);
    const error = await breaker.run(async () => (called = true)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAfterMs).toBe(600);
    expect(called).toBe(false);
  });

  it("lets one trial through after the reset timeout: success closes, failure reopens", async () => {
    const { breaker, advance, states } = clockedBreaker();
    for (let i = 0; i < 3; i++) await expect(breaker.run(fail)).rejects.toThrow();
    advance(1000);
    expect(breaker.state).toBe("HALF_OPEN");
    await expect(breaker.run(fail)).rejects.toThrow("down");
    expect(breaker.state).toBe("OPEN");
    advance(1000);
    await expect(breaker.run(ok)).resolves.toBe("up");
    expect(breaker.state).toBe("CLOSED");
    expect(states).toEqual(["OPEN", "HALF_OPEN", "OPEN", "HALF_OPEN", "CLOSED"]);
  });
});
