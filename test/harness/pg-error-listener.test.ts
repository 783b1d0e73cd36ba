// Issue 13, item 4: why worker processes died when a backend was terminated, and that the
// listener the guide asks for is enough. A server that completes a connection's startup and
// terminates it in the same packet (ReadyForQuery, then FATAL 57P01, as PostgreSQL does when
// pg_terminate_backend hits a backend just as it starts) is played by a socket here: no timing
// could make a real server put both messages in one packet on demand.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** One protocol message: type byte, int32 length (itself included), body. */
function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}
const authenticationOk = message('R', Buffer.from([0, 0, 0, 0]));
const readyForQuery = message('Z', Buffer.from('I'));
const fields = {
  S: 'FATAL',
  V: 'FATAL',
  C: '57P01',
  M: 'terminating connection due to administrator command',
};
const terminated = message(
  'E',
  Buffer.concat([
    ...Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`)),
    Buffer.from([0]),
  ]),
);

/** Answers every startup with a completed startup and a termination in one write. */
async function terminatingServer(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', () =>
      socket.end(Buffer.concat([authenticationOk, readyForQuery, terminated])),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Runs the child to its end (asynchronously: the server answering it lives in this process). */
function runChild(
  port: number,
  mode: 'plain' | 'typeorm' | 'sequelize',
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(
    process.execPath,
    [
      '--require',
      path.join(__dirname, 'ts-register.cjs'),
      path.join(__dirname, 'fixtures', 'pg-window-child.ts'),
      String(port),
      mode,
    ],
    { cwd: root },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (status) => resolve({ status, stdout, stderr })),
  );
}

describe('a pooled client terminated as its startup completes (issue 13, item 4)', () => {
  let server: net.Server;
  beforeAll(async () => (server = await terminatingServer()));
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  const port = () => (server.address() as net.AddressInfo).port;

  it("kills the process with plain node-postgres: 'error' is emitted before the ORM's listener is on", async () => {
    const result = await runChild(port(), 'plain');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/terminating connection due to administrator command/);
    expect(result.stdout).not.toMatch(/survived/);
  });

  // Issue 21, item 4: the listener is an export of both packages, the same function.
  it.each(['typeorm', 'sequelize'] as const)(
    'is survived with @racesafe/%s pgWithErrorListener(pg), as the README sets it up',
    async (name) => {
      const result = await runChild(port(), name);
      expect(result.stderr).toBe('');
      expect([result.status, result.stdout.trim()]).toEqual([0, 'survived']);
    },
  );
});
