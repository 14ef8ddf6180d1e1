import type { ContenderName } from "../contenders.js";
import type { Contender } from "./contender.js";

/**
 * Imports only the named contender's module, so a server process loads one
 * library and its memory figures carry no other's code.
 */
export async function loadContender(name: ContenderName): Promise<Contender> {
  switch (name) {
    case "hand-written":
      return (await import("./contenders/hand-written.js")).createHandWritten();
    case "ceiling":
      return (await import("./contenders/ceiling.js")).createCeiling();
    case "sse-middleware":
      return (await import("./contenders/sse-middleware.js")).createSseMiddleware();
    case "better-sse":
      return (await import("./contenders/better-sse.js")).createBetterSse();
    case "express-sse":
      return (await import("./contenders/express-sse.js")).createExpressSse();
  }
}
