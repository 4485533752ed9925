import { createServer, type Server, type ServerResponse } from 'node:http';
import type Koa from 'koa';
import { StartupError } from '../startup-error.js';

/** A listening HTTP server that can stop without cutting requests off. */
export interface HttpListener {
  server: Server;
  /** The port actually bound (differs from the requested one for port 0). */
  port: number;
  /**
   * Stops accepting connections; requests in flight finish and are answered with `Connection: close`,
   * as is any request that still arrives on an open keep-alive socket; idle keep-alive sockets are
   * closed at once. Resolves when the last connection has closed. Idempotent.
   */
  drain(): Promise<void>;
  /** Requests not yet answered (for the shutdown log). */
  inFlight(): number;
  /** Destroys every connection, answered or not (the shutdown deadline). */
  destroyAll(): void;
}

/**
 * Serves `koa` on `host:port`. A port already taken or not permitted becomes a {@link StartupError}
 * naming the port and the setting, instead of a raw EADDRINUSE stack.
 */
export async function serveHttp(koa: Koa, port: number, host: string): Promise<HttpListener> {
  const handle = koa.callback();
  const open = new Set<ServerResponse>();
  let draining = false;
  let drained: Promise<void> | null = null;
  const server = createServer((req, res) => {
    // A keep-alive client may send another request between SIGTERM and the close of its socket.
    if (draining) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
    // A response already streaming when draining began cannot carry the header: close its socket once it is done.
    res.once('finish', () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address !== null ? address.port : port,
    drain() {
      return (drained ??= new Promise<void>((resolve) => {
        draining = true;
        server.close(() => resolve());
        for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
        server.closeIdleConnections();
      }));
    },
    inFlight: () => open.size,
    destroyAll: () => server.closeAllConnections(),
  };
}

function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  if (err.code === 'EADDRINUSE') {
    return new StartupError('PORT_IN_USE', `端口 ${port}（${host}）已被占用：请停止占用它的进程，或用 PORT 换一个端口 / port ${port} on ${host} is already in use: stop the process holding it, or set PORT to another port`, 1, { cause: err });
  }
  if (err.code === 'EACCES') {
    return new StartupError('PORT_NOT_PERMITTED', `无权监听端口 ${port}（${host}）：1024 以下的端口需要特权，请用 PORT 换一个端口 / not permitted to listen on port ${port} on ${host}: ports below 1024 need privileges; set PORT to another port`, 1, { cause: err });
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new StartupError('HOST_NOT_AVAILABLE', `本机没有地址 ${host}：请检查 HOST / this machine has no address ${host}: check HOST`, 78, { cause: err });
  }
  return err;
}
