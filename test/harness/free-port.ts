import net from 'node:net';

/**
 * Asks the kernel for a free loopback port; the tiny window before the server binds it
 * is acceptable for tests.
 *
 * @example
 * const port = await freePort(); // then start a server on 127.0.0.1:port
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
