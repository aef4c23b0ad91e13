// The OpenAPI v2 document in the protobuf form kubectl and client-go ask for first
// (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`; client-go 1.20 accepts nothing else):
// gnostic's openapi.v2.Document message. Only the messages and fields a Kubernetes document uses are
// encoded (Document, Info, Paths, Definitions, Schema and its helpers, NamedAny for `x-` extensions);
// field numbers are gnostic's OpenAPIv2.proto. Values of `default`, `enum`, `example` and extensions go
// in `Any.yaml` as JSON, which is YAML.
type Json = Record<string, unknown>;

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = BigInt(Math.trunc(value));
  if (rest < 0n) rest += 1n << 64n; // two's complement, as protobuf encodes negative int64
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

/** Builds one message field by field. */
class MessageWriter {
  private readonly parts: Buffer[] = [];

  private tag(field: number, wireType: number): void {
    this.parts.push(varint((field << 3) | wireType));
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, LENGTH_DELIMITED);
    this.parts.push(varint(value.length), value);
    return this;
  }

  string(field: number, value: unknown): this {
    return typeof value === 'string' ? this.bytes(field, Buffer.from(value, 'utf8')) : this;
  }

  strings(field: number, values: unknown): this {
    if (Array.isArray(values)) for (const value of values) this.string(field, String(value));
    return this;
  }

  bool(field: number, value: unknown): this {
    if (typeof value !== 'boolean') return this;
    this.tag(field, VARINT);
    this.parts.push(varint(value ? 1 : 0));
    return this;
  }

  int64(field: number, value: unknown): this {
    if (typeof value !== 'number' || !Number.isInteger(value)) return this;
    this.tag(field, VARINT);
    this.parts.push(varint(value));
    return this;
  }

  double(field: number, value: unknown): this {
    if (typeof value !== 'number') return this;
    this.tag(field, FIXED64);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    this.parts.push(buffer);
    return this;
  }

  message(field: number, value: Buffer | undefined): this {
    return value === undefined ? this : this.bytes(field, value);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** openapi.v2.Any: the value as YAML (field 2). */
function anyValue(value: unknown): Buffer {
  return new MessageWriter().string(2, JSON.stringify(value)).finish();
}

/** openapi.v2.NamedAny, for `x-` extensions. */
function namedAny(name: string, value: unknown): Buffer {
  return new MessageWriter().string(1, name).message(2, anyValue(value)).finish();
}

function withExtensions(writer: MessageWriter, field: number, node: Json): MessageWriter {
  for (const [key, value] of Object.entries(node))
    if (key.startsWith('x-')) writer.message(field, namedAny(key, value));
  return writer;
}

/** openapi.v2.Schema. */
export function encodeSchema(schema: Json): Buffer {
  const writer = new MessageWriter()
    .string(1, schema['$ref'])
    .string(2, schema['format'])
    .string(3, schema['title'])
    .string(4, schema['description']);
  if (schema['default'] !== undefined) writer.message(5, anyValue(schema['default']));
  writer
    .double(6, schema['multipleOf'])
    .double(7, schema['maximum'])
    .bool(8, schema['exclusiveMaximum'])
    .double(9, schema['minimum'])
    .bool(10, schema['exclusiveMinimum'])
    .int64(11, schema['maxLength'])
    .int64(12, schema['minLength'])
    .string(13, schema['pattern'])
    .int64(14, schema['maxItems'])
    .int64(15, schema['minItems'])
    .bool(16, schema['uniqueItems'])
    .int64(17, schema['maxProperties'])
    .int64(18, schema['minProperties'])
    .strings(19, schema['required']);
  if (Array.isArray(schema['enum'])) for (const value of schema['enum']) writer.message(20, anyValue(value));
  const additional = schema['additionalProperties'];
  if (isObject(additional))
    writer.message(21, new MessageWriter().message(1, encodeSchema(additional)).finish());
  else if (typeof additional === 'boolean')
    writer.message(21, new MessageWriter().bool(2, additional).finish());
  const type = schema['type'];
  if (type !== undefined)
    writer.message(22, new MessageWriter().strings(1, Array.isArray(type) ? type : [type]).finish());
  const items = schema['items'];
  if (items !== undefined) {
    const list = (Array.isArray(items) ? items : [items]).filter(isObject);
    const itemsWriter = new MessageWriter();
    for (const item of list) itemsWriter.message(1, encodeSchema(item));
    writer.message(23, itemsWriter.finish());
  }
  if (Array.isArray(schema['allOf']))
    for (const member of schema['allOf'].filter(isObject)) writer.message(24, encodeSchema(member));
  const properties = schema['properties'];
  if (isObject(properties)) {
    const propertiesWriter = new MessageWriter();
    for (const [name, child] of Object.entries(properties)) {
      if (!isObject(child)) continue;
      propertiesWriter.message(
        1,
        new MessageWriter().string(1, name).message(2, encodeSchema(child)).finish(),
      );
    }
    writer.message(25, propertiesWriter.finish());
  }
  writer.string(26, schema['discriminator']).bool(27, schema['readOnly']);
  if (schema['example'] !== undefined) writer.message(30, anyValue(schema['example']));
  return withExtensions(writer, 31, schema).finish();
}

/** openapi.v2.Document, from the JSON document: swagger, info, paths (extensions only), definitions. */
export function encodeOpenApiV2Document(document: Json): Buffer {
  const info = isObject(document['info']) ? document['info'] : {};
  const definitions = isObject(document['definitions']) ? document['definitions'] : {};
  const definitionsWriter = new MessageWriter();
  for (const [name, schema] of Object.entries(definitions)) {
    if (!isObject(schema)) continue;
    definitionsWriter.message(
      1,
      new MessageWriter().string(1, name).message(2, encodeSchema(schema)).finish(),
    );
  }
  const paths = isObject(document['paths']) ? document['paths'] : {};
  if (Object.keys(paths).some((key) => !key.startsWith('x-')))
    throw new Error('encodeOpenApiV2Document: path items are not encoded; publish paths as {}');
  return new MessageWriter()
    .string(1, document['swagger'])
    .message(
      2,
      withExtensions(
        new MessageWriter()
          .string(1, info['title'])
          .string(2, info['version'])
          .string(3, info['description']),
        7,
        info,
      ).finish(),
    )
    .message(8, withExtensions(new MessageWriter(), 1, paths).finish())
    .message(9, definitionsWriter.finish())
    .finish();
}
