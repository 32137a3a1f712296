// The reference automerge-repo sync server: a Repo with the WebSocket server adapter and file-system
// storage, sharing nothing unasked (a client gets the documents it names), as the automerge-repo
// project's own sync server does. No access control: it is the peer our relay is measured against.
// Usage: node server.mjs <port> <data folder>
import http from 'node:http';
import os from 'node:os';
import { WebSocketServer } from 'ws';
import { Repo } from '@automerge/automerge-repo';
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket';
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs';

const [port, dir] = process.argv.slice(2);
// Under this load automerge-repo rejects internal promises ("withTimeout: timed out after 60000ms")
// that nothing handles, and Node exits. Logged and survived, so the run can be measured at all.
process.on('unhandledRejection', (reason) => console.error(`reference relay: unhandled rejection: ${reason}`));
const sockets = new WebSocketServer({ noServer: true });
new Repo({
  network: [new NodeWSServerAdapter(sockets)],
  storage: new NodeFSStorageAdapter(dir),
  peerId: `storage-server-${os.hostname()}`,
  sharePolicy: async () => false,
});
const server = http.createServer((request, response) => {
  response.writeHead(request.url === '/healthz' ? 200 : 404).end();
});
server.on('upgrade', (request, socket, head) => {
  sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
});
server.listen(Number(port), '127.0.0.1', () => console.log(`reference relay on 127.0.0.1:${port}`));
