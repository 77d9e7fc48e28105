#!/usr/bin/env bash
# The AWS side of Genesys Cloud -> EventBridge -> SQS -> analytics-bridge
# (SOURCE=sqs) with the AWS CLI: the same resources as main.tf, IRSA only.
# README "Genesys Cloud through EventBridge" explains each step.
#
# Not run against AWS by the project (no AWS account is reachable where it
# is developed); it was run against moto_server, an emulator that enforces
# no IAM, no partner sources and no KMS. Review it before running it.
#
#   REGION=eu-west-1 GENESYS_ORG_ID=<org id> EVENT_SOURCE_SUFFIX=<suffix> \
#   EKS_OIDC_PROVIDER_ARN=arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id> \
#   NAMESPACE=analytics-bridge examples/genesys-eventbridge/aws-cli.sh
#
# Optional: QUEUE_NAME (genesys-events), ROLE_NAME (analytics-bridge-sqs),
# SERVICE_ACCOUNT (analytics-bridge); EVENT_BUS, a bus that exists already
# (the partner event bus associated in the console), to route from instead
# of creating it. Run it once: create-* calls fail on resources that exist.
set -euo pipefail

: "${REGION:?}" "${GENESYS_ORG_ID:?}" "${EVENT_SOURCE_SUFFIX:?}" "${EKS_OIDC_PROVIDER_ARN:?}"
NAMESPACE=${NAMESPACE:-analytics-bridge}
SERVICE_ACCOUNT=${SERVICE_ACCOUNT:-analytics-bridge}
QUEUE_NAME=${QUEUE_NAME:-genesys-events}
ROLE_NAME=${ROLE_NAME:-analytics-bridge-sqs}
export AWS_DEFAULT_REGION=$REGION

# 1. The partner event bus: named exactly as the partner event source that
#    the Genesys integration created (EventBridge > Partner event sources).
BUS="aws.partner/genesys.com/cloud/$GENESYS_ORG_ID/$EVENT_SOURCE_SUFFIX"
if [ -n "${EVENT_BUS:-}" ]; then
  BUS=$EVENT_BUS
else
  aws events create-event-bus --name "$BUS" --event-source-name "$BUS" >/dev/null
fi

# 2. The queues: the one the bridge reads (standard, 30 s visibility
#    timeout, 14 days' retention, SSE-SQS), and one for events EventBridge
#    gives up on after its retries.
attributes='{"VisibilityTimeout":"30","MessageRetentionPeriod":"1209600","SqsManagedSseEnabled":"true"}'
QUEUE_URL=$(aws sqs create-queue --queue-name "$QUEUE_NAME" --attributes "$attributes" --query QueueUrl --output text)
UNDELIVERED_URL=$(aws sqs create-queue --queue-name "$QUEUE_NAME-undelivered" --attributes "$attributes" --query QueueUrl --output text)
queue_arn() { aws sqs get-queue-attributes --queue-url "$1" --attribute-names QueueArn --query Attributes.QueueArn --output text; }
QUEUE_ARN=$(queue_arn "$QUEUE_URL")
UNDELIVERED_ARN=$(queue_arn "$UNDELIVERED_URL")

# 3. The rule: conversation detail events (detail-type
#    v2.detail.events.conversation.{id}.<event>) on the partner bus.
RULE_ARN=$(aws events put-rule --name genesys-conversation-detail-to-sqs --event-bus-name "$BUS" \
  --event-pattern '{"detail-type":[{"prefix":"v2.detail.events.conversation"}]}' --query RuleArn --output text)

# 4. The queue policies: events.amazonaws.com may send, for this rule only.
#    (The policy is a JSON string inside the attributes' JSON: quotes escaped.)
allow_rule() {
  printf '{"Policy":"{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Sid\\":\\"EventBridgeSendMessage\\",\\"Effect\\":\\"Allow\\",\\"Principal\\":{\\"Service\\":\\"events.amazonaws.com\\"},\\"Action\\":\\"sqs:SendMessage\\",\\"Resource\\":\\"%s\\",\\"Condition\\":{\\"ArnEquals\\":{\\"aws:SourceArn\\":\\"%s\\"}}}]}"}' "$1" "$RULE_ARN"
}
aws sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes "$(allow_rule "$QUEUE_ARN")"
aws sqs set-queue-attributes --queue-url "$UNDELIVERED_URL" --attributes "$(allow_rule "$UNDELIVERED_ARN")"

# 5. The target: the whole event as the message body (no input
#    transformer), EventBridge's retries, then the undelivered queue.
aws events put-targets --rule genesys-conversation-detail-to-sqs --event-bus-name "$BUS" --targets \
  "[{\"Id\":\"analytics-bridge-queue\",\"Arn\":\"$QUEUE_ARN\",\"RetryPolicy\":{\"MaximumRetryAttempts\":185,\"MaximumEventAgeInSeconds\":86400},\"DeadLetterConfig\":{\"Arn\":\"$UNDELIVERED_ARN\"}}]" >/dev/null

# 6. The bridge's role (IRSA): trusted by the cluster's OIDC provider for
#    the ServiceAccount, allowed what the bridge calls on the queue.
ISSUER=${EKS_OIDC_PROVIDER_ARN#*:oidc-provider/}
trust=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s:sub":"system:serviceaccount:%s:%s","%s:aud":"sts.amazonaws.com"}}}]}' \
  "$EKS_OIDC_PROVIDER_ARN" "$ISSUER" "$NAMESPACE" "$SERVICE_ACCOUNT" "$ISSUER")
ROLE_ARN=$(aws iam create-role --role-name "$ROLE_NAME" --assume-role-policy-document "$trust" --query Role.Arn --output text)
policy=$(printf '{"Version":"2012-10-17","Statement":[{"Sid":"ReadTheQueue","Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:ChangeMessageVisibility","sqs:GetQueueAttributes"],"Resource":"%s"}]}' "$QUEUE_ARN")
aws iam put-role-policy --role-name "$ROLE_NAME" --policy-name read-genesys-events --policy-document "$policy"

echo "SQS_QUEUE_URL=$QUEUE_URL"
echo "eks.amazonaws.com/role-arn: $ROLE_ARN"
echo "undelivered events (alarm on its depth): $UNDELIVERED_URL"
