//! One newtype per id so ids of different records cannot be mixed up.

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(UserId);
id_type!(RoleId);
id_type!(EventId);
id_type!(MidId);
id_type!(ProfileId);
id_type!(MappingId);
id_type!(RecycleProfileId);
id_type!(ProductId);
id_type!(CampaignId);
id_type!(CustomerId);
id_type!(PaymentMethodId);
id_type!(OrderId);
id_type!(OrderItemId);
id_type!(TransactionId);
id_type!(SubscriptionId);
id_type!(FulfillmentId);
id_type!(ApiKeyId);
id_type!(BinRangeId);
id_type!(HistoryEntryId);
id_type!(ReasonId);
id_type!(RefundQueueId);
id_type!(OutboxId);
id_type!(JobId);
