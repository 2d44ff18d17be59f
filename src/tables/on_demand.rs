//! A small table whose batches each profile builds on first scan and then keeps.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

use super::schema::small_schema;
use super::LoadedProfile;

pub struct OnDemandTable {
    name: &'static str,
    schema: SchemaRef,
    profiles: Vec<Arc<LoadedProfile>>,
}

impl fmt::Debug for OnDemandTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OnDemandTable({})", self.name)
    }
}

impl OnDemandTable {
    /// `name` is `nodes` or `node_names`.
    pub fn new(name: &'static str, profiles: Vec<Arc<LoadedProfile>>) -> Self {
        Self {
            name,
            schema: small_schema(name),
            profiles,
        }
    }
}

#[async_trait]
impl TableProvider for OnDemandTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut batches = Vec::with_capacity(self.profiles.len());
        for lp in &self.profiles {
            let (nodes, names) = lp.node_tables()?;
            batches.push(if self.name == "nodes" { nodes } else { names });
        }
        MemTable::try_new(self.schema.clone(), vec![batches])?
            .scan(state, projection, filters, limit)
            .await
    }
}
