// A tiny HTTP server for end-to-end tests: answers every request with the Pod's name
// and the image version, and /healthz with "ok". VERSION and POD_NAME come from env.
const http = require('node:http');
const version = process.env.VERSION || 'v1';
const pod = process.env.POD_NAME || require('node:os').hostname();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok\n');
  res.setHeader('content-type', 'text/plain');
  res.end(`${pod} ${version}\n`);
});
server.listen(Number(process.env.PORT || 8080), () => console.log(`echo ${version} listening as ${pod}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
