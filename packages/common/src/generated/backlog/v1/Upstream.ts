// Original file: proto/backlog/v1/backlog.proto

import type { Long } from '@grpc/proto-loader';

export interface Upstream {
  'kind'?: (string);
  'ready'?: (number | string | Long);
  'unacked'?: (number | string | Long);
  'connected'?: (boolean);
}

export interface Upstream__Output {
  'kind': (string);
  'ready': (string);
  'unacked': (string);
  'connected': (boolean);
}
