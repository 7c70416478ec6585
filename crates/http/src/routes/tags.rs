use super::ApiRouter;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
}
