// Original file: proto/backlog/v1/backlog.proto

export const AckOutcome = {
  ACK_OUTCOME_UNSPECIFIED: 'ACK_OUTCOME_UNSPECIFIED',
  ACK_OUTCOME_ACKED: 'ACK_OUTCOME_ACKED',
  ACK_OUTCOME_ALREADY_ACKED: 'ACK_OUTCOME_ALREADY_ACKED',
  ACK_OUTCOME_EXPIRED: 'ACK_OUTCOME_EXPIRED',
} as const;

export type AckOutcome =
  | 'ACK_OUTCOME_UNSPECIFIED'
  | 0
  | 'ACK_OUTCOME_ACKED'
  | 1
  | 'ACK_OUTCOME_ALREADY_ACKED'
  | 2
  | 'ACK_OUTCOME_EXPIRED'
  | 3

export type AckOutcome__Output = typeof AckOutcome[keyof typeof AckOutcome]
