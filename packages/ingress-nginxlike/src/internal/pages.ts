/** The answers the proxy writes itself, worded as nginx and ingress-nginx word them. */

export interface Page {
  status: number;
  reason: string;
  body: Buffer;
  contentType: string;
}

const nginxPage = (status: number, reason: string): Page => ({
  status,
  reason,
  contentType: 'text/html',
  body: Buffer.from(
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  ),
});

export const PAGES = {
  /** ingress-nginx's default backend. */
  notFound: { status: 404, reason: 'Not Found', contentType: 'text/plain; charset=utf-8', body: Buffer.from('default backend - 404') } as Page,
  badRequest: nginxPage(400, 'Bad Request'),
  permanentRedirect: nginxPage(308, 'Permanent Redirect'),
  badGateway: nginxPage(502, 'Bad Gateway'),
  unavailable: nginxPage(503, 'Service Temporarily Unavailable'),
  timeout: nginxPage(504, 'Gateway Time-out'),
};

/** A page as raw HTTP/1.1 bytes, for sockets that left the HTTP server (upgrades). */
export function rawResponse(p: Page, extra = ''): string {
  return `HTTP/1.1 ${p.status} ${p.reason}\r\nContent-Type: ${p.contentType}\r\nContent-Length: ${p.body.length}\r\n${extra}Connection: close\r\n\r\n${p.body.toString('latin1')}`;
}
