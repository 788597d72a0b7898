/**
 * Keeps large request bodies on keep-alive TLS connections from being reset.
 *
 * Node's HTTP server normally hands a connection's socket to its C++ parser
 * ("consumed"), bypassing JavaScript. When a request arrives while the previous
 * response is still waiting to drain (any response over the socket's 16 KiB write
 * high-water mark), the server pauses the socket and the parser, its guard against
 * floods of pipelined requests. A TLS socket, though, keeps handing the parser the
 * rest of what it has already decrypted (a body of 16 KiB or more spans several TLS
 * records), and a paused parser fed more bytes fails with `HPE_PAUSED`: the server
 * destroys the connection and the write is never applied.
 *
 * Reading the socket through its stream instead ("unconsumed", which Node does as
 * soon as anyone listens for `data`) makes that pause real: bytes that arrive while
 * paused wait in the stream until the response has drained and the parser resumes.
 */
import type { Server } from 'node:https';
import type { TLSSocket } from 'node:tls';

export function readTlsThroughStreams(server: Server): void {
  // Runs after the HTTP server's own listener has set the connection up, so this
  // `data` listener goes through Node's wrapper, which unconsumes the socket. The
  // HTTP server's own `data` listener then feeds the parser; this one does nothing.
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('data', ignore);
  });
}

function ignore(): void {}
