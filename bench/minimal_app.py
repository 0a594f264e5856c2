"""The P3 ceiling: a minimal FastAPI app that validates the same body as `POST /v1/contracts`
(the contracts service's own `ContractCreate`) and answers 201, with no auth, database or rules."""

from fastapi import FastAPI

from newform_contracts.contracts.schemas import ContractCreate

app = FastAPI()


@app.post("/v1/contracts", status_code=201)
async def draft_contract(body: ContractCreate) -> dict:
    return {"registration_id": body.registration_id, "status": "draft"}
