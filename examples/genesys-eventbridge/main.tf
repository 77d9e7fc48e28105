# The AWS side of Genesys Cloud -> EventBridge -> SQS -> analytics-bridge
# (SOURCE=sqs), as README "Genesys Cloud through EventBridge" describes it:
# the partner event bus, a rule on the conversation detail events, the
# queue and its policy, a queue for events EventBridge gives up on, and the
# IAM role the bridge's pods assume (IRSA or EKS Pod Identity).
#
# Not applied by the project: no AWS account is reachable where it is
# developed. `terraform fmt` has checked its form, nothing more; `terraform
# validate` needs the provider, which could not be downloaded there. Review
# it, then `terraform init && terraform plan`.
#
# Before applying, install the Amazon EventBridge Source integration in
# Genesys Cloud with this account and region: the partner event source
# aws.partner/genesys.com/cloud/<org id>/<suffix> must exist for the bus.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40" # aws_eks_pod_identity_association
    }
  }
}

variable "region" {
  type        = string
  description = "The AWS region given to the Genesys integration; the queue and the bus live there."
}

variable "genesys_org_id" {
  type        = string
  description = "The Genesys Cloud organization id (the <orgId> in the partner event source's name)."
}

variable "event_source_suffix" {
  type        = string
  description = "The event source suffix given to the Genesys integration."
}

variable "queue_name" {
  type    = string
  default = "genesys-events"
}

variable "kms_key_arn" {
  type        = string
  default     = null
  description = "A customer managed KMS key for SSE-KMS; null: SSE-SQS. The key's policy must let events.amazonaws.com use it (kms:GenerateDataKey, kms:Decrypt): EventBridge writes the messages."
}

variable "max_receive_count" {
  type        = number
  default     = null
  description = "null: no redrive policy (the bridge never fails a message; bad ones go to the Kafka dead-letter topic). Set, it must be at least 20: every restart hands held messages back, and each receive counts."
  validation {
    condition     = var.max_receive_count == null || try(var.max_receive_count >= 20, false)
    error_message = "max_receive_count below 20 can move messages out of the bridge's reach during a Kafka outage or a crash loop (check --connect warns)."
  }
}

variable "identity" {
  type        = string
  default     = "irsa"
  description = "How the pods get the role: irsa (ServiceAccount annotation eks.amazonaws.com/role-arn) or pod-identity (an EKS Pod Identity association)."
  validation {
    condition     = contains(["irsa", "pod-identity"], var.identity)
    error_message = "identity is irsa or pod-identity."
  }
}

variable "eks_oidc_provider_arn" {
  type        = string
  default     = ""
  description = "irsa: the IAM OIDC provider of the cluster, arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<id>."
}

variable "eks_cluster_name" {
  type        = string
  default     = ""
  description = "pod-identity: the EKS cluster (its Pod Identity Agent add-on must be installed)."
}

variable "namespace" {
  type    = string
  default = "analytics-bridge"
}

variable "service_account" {
  type    = string
  default = "analytics-bridge" # deploy/sqs/serviceaccount.yaml
}

provider "aws" {
  region = var.region
}

locals {
  # The partner event bus must bear the partner event source's name.
  event_source = "aws.partner/genesys.com/cloud/${var.genesys_org_id}/${var.event_source_suffix}"
  oidc_issuer  = element(split("oidc-provider/", var.eks_oidc_provider_arn), 1)
}

resource "aws_cloudwatch_event_bus" "genesys" {
  name              = local.event_source
  event_source_name = local.event_source
}

# Standard queue. Visibility timeout 30 s: the bridge extends what it holds
# while Kafka is slow, and DEDUP_WINDOW (1h by default) must stay longer.
# Retention 14 days, the most SQS allows: messages wait out a Kafka outage.
resource "aws_sqs_queue" "events" {
  name                       = var.queue_name
  visibility_timeout_seconds = 30
  message_retention_seconds  = 1209600
  sqs_managed_sse_enabled    = var.kms_key_arn == null ? true : null
  kms_master_key_id          = var.kms_key_arn
  redrive_policy = var.max_receive_count == null ? null : jsonencode({
    deadLetterTargetArn = aws_sqs_queue.redrive[0].arn
    maxReceiveCount     = var.max_receive_count
  })
}

resource "aws_sqs_queue" "redrive" {
  count                     = var.max_receive_count == null ? 0 : 1
  name                      = "${var.queue_name}-redrive"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
}

# Events EventBridge could not deliver to the queue within its retry
# policy (24 h, 185 attempts), which it would otherwise drop. The bridge
# does not read this queue: alarm on its depth, and move its messages to
# the events queue once the cause is fixed.
resource "aws_sqs_queue" "undelivered" {
  name                      = "${var.queue_name}-undelivered"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
}

# Conversation detail events only: detail-type is the topic pattern,
# v2.detail.events.conversation.{id}.<event>.
resource "aws_cloudwatch_event_rule" "conversation_detail" {
  name           = "genesys-conversation-detail-to-sqs"
  event_bus_name = aws_cloudwatch_event_bus.genesys.name
  event_pattern = jsonencode({
    "detail-type" = [{ prefix = "v2.detail.events.conversation" }]
  })
}

# The whole event is the message body: no input transformer (the bridge
# reads the envelope's detail, id, detail-type, source and time).
resource "aws_cloudwatch_event_target" "queue" {
  rule           = aws_cloudwatch_event_rule.conversation_detail.name
  event_bus_name = aws_cloudwatch_event_bus.genesys.name
  target_id      = "analytics-bridge-queue"
  arn            = aws_sqs_queue.events.arn
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }
  dead_letter_config {
    arn = aws_sqs_queue.undelivered.arn
  }
}

# EventBridge may send to both queues, for this rule only.
data "aws_iam_policy_document" "from_rule" {
  for_each = {
    events      = aws_sqs_queue.events.arn
    undelivered = aws_sqs_queue.undelivered.arn
  }
  statement {
    sid       = "EventBridgeSendMessage"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.conversation_detail.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.from_rule["events"].json
}

resource "aws_sqs_queue_policy" "undelivered" {
  queue_url = aws_sqs_queue.undelivered.id
  policy    = data.aws_iam_policy_document.from_rule["undelivered"].json
}

# What the bridge calls: ReceiveMessage, DeleteMessageBatch,
# ChangeMessageVisibilityBatch, GetQueueAttributes (the batch calls are
# authorised by the single actions).
data "aws_iam_policy_document" "bridge" {
  statement {
    sid = "ReadTheQueue"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.events.arn]
  }
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptTheMessages"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "bridge_trust" {
  dynamic "statement" {
    for_each = var.identity == "irsa" ? [1] : []
    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.eks_oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${var.service_account}"]
      }
      condition {
        test     = "StringEquals"
        variable = "${local.oidc_issuer}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
  dynamic "statement" {
    for_each = var.identity == "pod-identity" ? [1] : []
    content {
      actions = ["sts:AssumeRole", "sts:TagSession"]
      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "bridge" {
  name               = "analytics-bridge-sqs"
  assume_role_policy = data.aws_iam_policy_document.bridge_trust.json
}

resource "aws_iam_role_policy" "bridge" {
  name   = "read-genesys-events"
  role   = aws_iam_role.bridge.id
  policy = data.aws_iam_policy_document.bridge.json
}

resource "aws_eks_pod_identity_association" "bridge" {
  count           = var.identity == "pod-identity" ? 1 : 0
  cluster_name    = var.eks_cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.bridge.arn
}

output "sqs_queue_url" {
  description = "SQS_QUEUE_URL (deploy/sqs/kustomization.yaml)"
  value       = aws_sqs_queue.events.url
}

output "role_arn" {
  description = "irsa: the eks.amazonaws.com/role-arn annotation (deploy/sqs/serviceaccount.yaml)"
  value       = aws_iam_role.bridge.arn
}

output "undelivered_queue_url" {
  description = "events EventBridge could not deliver: alarm on its depth"
  value       = aws_sqs_queue.undelivered.url
}
