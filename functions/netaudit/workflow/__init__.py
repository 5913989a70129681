"""Domain logic of the workflow steps: typed, boto3 clients passed in, no Lambda glue."""
