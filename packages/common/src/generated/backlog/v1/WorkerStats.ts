// Original file: proto/backlog/v1/backlog.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkerStats {
  'workerId'?: (string);
  'mode'?: (string);
  'connected'?: (boolean);
  'dispatched'?: (number | string | Long);
  'acked'?: (number | string | Long);
  'inFlight'?: (number | string | Long);
  'requeued'?: (number | string | Long);
  'lost'?: (number | string | Long);
  'prefetch'?: (number);
  'oldestInFlightPublishedAtUnixNano'?: (number | string | Long);
}

export interface WorkerStats__Output {
  'workerId': (string);
  'mode': (string);
  'connected': (boolean);
  'dispatched': (string);
  'acked': (string);
  'inFlight': (string);
  'requeued': (string);
  'lost': (string);
  'prefetch': (number);
  'oldestInFlightPublishedAtUnixNano': (string);
}
