// Original file: proto/backlog/v1/backlog.proto

import type { Long } from '@grpc/proto-loader';

export interface Delivery {
  'id'?: (string);
  'priority'?: (number);
  'payload'?: (Buffer | Uint8Array | string);
  'publishedAtUnixNano'?: (number | string | Long);
  'dispatchedAtUnixNano'?: (number | string | Long);
  'attempt'?: (number);
  'traceContext'?: ({[key: string]: string});
  'ackId'?: (string);
}

export interface Delivery__Output {
  'id': (string);
  'priority': (number);
  'payload': (Buffer);
  'publishedAtUnixNano': (string);
  'dispatchedAtUnixNano': (string);
  'attempt': (number);
  'traceContext': ({[key: string]: string});
  'ackId': (string);
}
