/**
 * A tiny MCP server for the tools bench, built on the official SDK's low-level Server: N tools
 * (`tool_0` … each with a small object schema) that echo their arguments at once, over stdio or
 * Streamable HTTP. Usage: node mcpToyServer.js stdio N | http PORT N
 */
import { createServer as createHttpServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [mode, a, b] = process.argv.slice(2);
const count = Number(mode === 'stdio' ? a : b);
const tools = Array.from({ length: count }, (_, i) => ({
  name: `tool_${i}`,
  description: `Toy tool number ${i}: echoes its arguments.`,
  inputSchema: { type: 'object' as const, properties: { text: { type: 'string', description: 'anything' }, n: { type: 'integer', minimum: 0 } }, required: ['text'] },
}));

function makeServer(): Server {
  const server = new Server({ name: 'toy', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => ({ content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }] }));
  return server;
}

if (mode === 'stdio') {
  await makeServer().connect(new StdioServerTransport());
} else {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createHttpServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? sessions.get(id) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, transport!) });
      await makeServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  http.on('error', (error) => {
    process.stderr.write(`toy server: ${error.message}\n`);
    process.exit(1);
  });
  http.listen(Number(a), '127.0.0.1', () => process.stderr.write('listening\n'));
}
