"""ecs-netaudit: runtime proof of ECS task network isolation."""
