// Original file: proto/backlog/v1/backlog.proto

import type { Long } from '@grpc/proto-loader';

export interface Totals {
  'published'?: (number | string | Long);
  'dispatched'?: (number | string | Long);
  'acked'?: (number | string | Long);
  'requeued'?: (number | string | Long);
  'lost'?: (number | string | Long);
}

export interface Totals__Output {
  'published': (string);
  'dispatched': (string);
  'acked': (string);
  'requeued': (string);
  'lost': (string);
}
