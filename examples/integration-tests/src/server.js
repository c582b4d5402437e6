// The service under test: GET /health answers "ok"; GET /forecast asks the
// weather service named by UPSTREAM (somewhere on the internet) and passes
// its answer on, or answers 502 when it cannot be reached.
import http from 'node:http';

const upstream = process.env.UPSTREAM ?? 'http://weather.example.test';
const port = Number(process.env.PORT ?? 8080);

http
  .createServer(async (req, res) => {
    if (req.url === '/health') return res.end('ok');
    if (req.url === '/forecast') {
      try {
        const answer = await fetch(`${upstream}/today`, { signal: AbortSignal.timeout(3000) });
        return res.end(`forecast: ${await answer.text()}`);
      } catch (e) {
        res.statusCode = 502;
        return res.end(`the weather service cannot be reached: ${e.cause?.code ?? e.message}`);
      }
    }
    res.statusCode = 404;
    res.end();
  })
  .listen(port);
