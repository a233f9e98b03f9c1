/**
 * A local stand-in for AWS Secrets Manager's `GetSecretValue`, speaking the AWS JSON 1.1 protocol
 * the official SDK uses: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue`,
 * `Content-Type: application/x-amz-json-1.1` and `{"SecretId"}`, answered with
 * `{"ARN","Name","VersionId","SecretString","VersionStages","CreatedDate"}`, or a 400 with
 * `{"__type":"ResourceNotFoundException","message"}`. Signatures are not checked; that a request is
 * signed (SigV4 `Authorization` header) is recorded.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeAwsSecrets {
  url: string;
  secrets: Map<string, string>;
  calls: Array<{ target: string; secretId: string; signed: boolean; region: string | undefined }>;
  close(): Promise<void>;
}

export async function startFakeAwsSecrets(): Promise<FakeAwsSecrets> {
  const secrets = new Map<string, string>();
  const calls: FakeAwsSecrets['calls'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const authorization = String(req.headers.authorization ?? '');
      calls.push({
        target,
        secretId: body.SecretId ?? '',
        signed: authorization.startsWith('AWS4-HMAC-SHA256'),
        region: /Credential=[^/]+\/\d+\/([^/]+)\//.exec(authorization)?.[1],
      });
      if (target !== 'secretsmanager.GetSecretValue') {
        return send(400, { __type: 'UnknownOperationException', message: `unknown ${target}` });
      }
      const name = body.SecretId?.startsWith('arn:') ? body.SecretId.split(':secret:')[1] : body.SecretId;
      const value = name === undefined ? undefined : secrets.get(name);
      if (value === undefined) {
        return send(400, {
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      send(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`,
        Name: name,
        VersionId: 'v1',
        SecretString: value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secrets,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
