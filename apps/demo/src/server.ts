import { createApp } from "./app.js";
import { createNotificationChannel, type NotificationChannel } from "./notifications.js";
import { createRedisNotificationChannel, NOTIFICATIONS_STREAM } from "./redis-notifications.js";

function readPositiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * The notifications channel: in memory, or on Redis when REDIS_URL is set,
 * so that several instances (say on ports 3000 and 3001) serve one page.
 */
async function notificationChannel(): Promise<{ channel: NotificationChannel; where: string }> {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === "") return { channel: createNotificationChannel(), where: "in memory" };
  const channel = await createRedisNotificationChannel(url);
  return { channel, where: `on Redis stream ${NOTIFICATIONS_STREAM}` };
}

const port = readPositiveInt("PORT", 3000);
const intervalMs = readPositiveInt("TICK_MS", 1000);
const notifications = await notificationChannel();

const server = createApp({ intervalMs, notifications: notifications.channel }).listen(port, () => {
  const address = server.address();
  const actual = typeof address === "object" && address !== null ? address.port : port;
  console.log(`sse-middleware demo: http://localhost:${actual}/ (ticks every ${intervalMs} ms)`);
  console.log(`notifications ${notifications.where}: http://localhost:${actual}/notifications.html`);
});
