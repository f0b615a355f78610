// Reads {"schema": {...}, "queries": [{"name", "text", "parameters"}]} on stdin and prints,
// for each query, the diagnostics of Neo4j's own Cypher language support as JSON lines.
import { lintCypherQuery } from '@neo4j-cypher/language-support';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const { schema, queries } = JSON.parse(input);
for (const q of queries) {
  const result = lintCypherQuery(q.text, { ...schema, parameters: q.parameters });
  const diagnostics = Array.isArray(result) ? result : (result.diagnostics ?? []);
  console.log(JSON.stringify({
    name: q.name,
    diagnostics: diagnostics.map((d) => ({ severity: d.severity, message: d.message, line: d.range?.start?.line })),
  }));
}
