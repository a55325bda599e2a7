// Connects the official socket.io-client to a Stocky cloud and prints one JSON line per
// happening (connect, connect_error, every event), for tests/cloud/realtime/test_js_client.py.
// usage: node client.mjs URL [TOKEN] [SECONDS]   (no TOKEN: connect without credentials)
import { io } from "socket.io-client";

const [url, token, seconds = "20"] = process.argv.slice(2);
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const socket = io(url, {
  transports: ["websocket"],
  reconnection: false,
  ...(token ? { auth: { token } } : {}),
});
socket.on("connect", () => say({ type: "connect", id: socket.id }));
socket.on("connect_error", (err) => {
  say({ type: "connect_error", message: err.message });
  process.exit(0);
});
socket.onAny((name, data) => say({ type: "event", name, data }));
socket.on("disconnect", (reason) => say({ type: "disconnect", reason }));
setTimeout(() => {
  socket.close();
  process.exit(0);
}, Number(seconds) * 1000);
